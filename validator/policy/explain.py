"""`policy explain ID`: what a policy checks, why, and a failing and a passing example."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml_rs

from validator.model import UsageError
from validator.policy.documents import Policy
from validator.policy.library import builtin_dir, info_of, load_builtin
from validator.policy.loader import PolicySet, yaml_files
from validator.policy.testcases import TestCase, parse_test_file


def _example(cases: list[TestCase], policy: str, wanted: str) -> Mapping[str, Any] | None:
    for case in cases:
        for expectation in case.expectations:
            if expectation.policy == policy and expectation.result == wanted:
                parts = expectation.resource.split("/")
                for body in case.resources:
                    metadata = body.get("metadata") or {}
                    if body.get("kind") == parts[0] and metadata.get("name") == parts[-1]:
                        return body
    return None


def _find(policy_id: str, extra: PolicySet | None) -> Policy:
    policies = [*load_builtin().policies, *(extra.policies if extra else [])]
    found = next((p for p in policies if p.name == policy_id and not p.generated), None)
    if found is None:
        raise UsageError(f"unknown policy {policy_id!r}: see `policy list`")
    return found


def explain(policy_id: str, extra: PolicySet | None = None) -> str:
    policy = _find(policy_id, extra)
    info = info_of(policy)
    lines = [
        f"{info.name}: {info.title}",
        f"  category: {info.category}    profile: {info.profile}    severity: {info.severity}",
        f"  file: {info.source}",
        "",
        info.description or "(no description)",
    ]
    rationale = policy.meta("rationale")
    if rationale:
        lines += ["", "Why: " + rationale]
    lines += ["", "Checks (CEL):"]
    lines += [f"  - {v.expression.strip()}" for v in policy.validations]
    cases = [c for f in yaml_files([builtin_dir()]) for c in parse_test_file(f)]
    for title, wanted in (("Failing example", "fail"), ("Passing example", "pass")):
        body = _example(cases, policy.name, wanted)
        if body is not None:
            text = yaml_rs.dumps(dict(body)).rstrip()
            lines += ["", f"{title}:", *("  " + line for line in text.splitlines())]
    return "\n".join(lines)
