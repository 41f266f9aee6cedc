"""The policy stage: ValidatingAdmissionPolicy and Kyverno ValidatingPolicy in CEL, offline.

Entry points for the pipeline and the CLI:
  PolicyEngine.load(settings, profile) -> engine; engine.evaluate(env, old_resources) -> findings;
  engine.exception_findings() after all environments; run_policy_tests(paths) -> TestReport;
  list_policies() -> [PolicyInfo]; explain(policy_id) -> str.
"""

from validator.policy.engine import PolicyEngine
from validator.policy.errors import CelCompileError, PolicyError
from validator.policy.explain import explain
from validator.policy.library import (
    PROFILES,
    PolicyInfo,
    builtin_dir,
    describe_policies,
    list_policies,
)
from validator.policy.loader import PolicySet, load_policy_files
from validator.policy.rego_families import load_rego_families
from validator.policy.testing import CaseResult, TestReport, run_policy_tests

__all__ = [
    "PROFILES",
    "CaseResult",
    "CelCompileError",
    "PolicyEngine",
    "PolicyError",
    "PolicyInfo",
    "PolicySet",
    "TestReport",
    "builtin_dir",
    "describe_policies",
    "explain",
    "list_policies",
    "load_policy_files",
    "load_rego_families",
    "run_policy_tests",
]
