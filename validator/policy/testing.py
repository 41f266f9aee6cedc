"""`policy test`: run test manifests and compare every expected result with the actual one.

An expectation naming a policy or resource the test does not load is a failure, never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.model import RenderedEnvironment, Resource, ResourceRef
from validator.policy.context import Offline
from validator.policy.engine import PolicyEngine
from validator.policy.errors import PolicyError
from validator.policy.families import test_formats
from validator.policy.loader import PolicySet, load_policy_files, read_yaml_documents, yaml_files
from validator.policy.testcases import Expectation, TestCase, parse_test_file

_RANK = {"error": 3, "fail": 2, "pass": 1, "skip": 0}


@dataclass(frozen=True, slots=True)
class CaseResult:
    test: str
    file: str
    policy: str
    resource: str
    expected: str
    actual: str
    ok: bool
    detail: str = ""


@dataclass(slots=True)
class TestReport:
    results: list[CaseResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # manifests that could not run at all

    @property
    def passed(self) -> bool:
        return not self.errors and bool(self.results) and all(r.ok for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok]


def run_policy_tests(paths: Iterable[Path], prefer_rego: bool = False) -> TestReport:
    """Run every PolicyTest / Kyverno Test manifest, gator Suite and conftest test found in
    `paths` (files or directories); `prefer_rego` runs Gatekeeper templates' Rego over CEL."""
    # Imported here: the family test runners build on this module's CaseResult.
    from validator.policy.family_tests import run_family_tests

    report = TestReport()
    paths = list(paths)
    files = yaml_files(paths)
    cases: list[TestCase] = []
    ran_other = False
    for file in files:
        try:
            cases.extend(parse_test_file(file))
        except PolicyError as error:
            report.errors.append(str(error))
        ran_other = _run_formats(file, report) or ran_other
    family_results, family_errors, found = run_family_tests(paths, files, prefer_rego)
    report.results.extend(family_results)
    report.errors.extend(family_errors)
    if not cases and not ran_other and not found and not report.errors:
        report.errors.append(
            "no test manifests (PolicyTest, kyverno Test, gator Suite or Rego test_ rules) found"
        )
    for case in cases:
        try:
            report.results.extend(run_case(case))
        except PolicyError as error:
            report.errors.append(f"{case.file}: {case.name}: {error}")
    return report


def _run_formats(file: Path, report: TestReport) -> bool:
    """Test manifests other families bring (kyverno-test.yaml, ...); True if any ran."""
    formats = test_formats()
    try:
        bodies = [b for b in read_yaml_documents(file) if any(f.claims(b) for f in formats)]
    except PolicyError:
        return False  # parse_test_file already reported the unreadable file
    for body in bodies:
        test_format = next(f for f in formats if f.claims(body))
        try:
            results, errors = test_format.run(body, file)
        except PolicyError as error:
            report.errors.append(str(error))
            continue
        report.results.extend(results)
        report.errors.extend(f"{file}: {e}" for e in errors)
    return bool(bodies)


def _resources(objects: Sequence[Mapping[str, Any]], environment: str) -> tuple[Resource, ...]:
    return tuple(Resource(ResourceRef.of(b), b, environment) for b in objects)


def run_case(case: TestCase) -> list[CaseResult]:
    policies: PolicySet = load_policy_files(case.policy_files)
    offline = Offline(user_info=case.user_info) if case.user_info else None
    engine = PolicyEngine(PolicySet(), policies, default_profile="none", offline=offline)
    env = RenderedEnvironment(
        name=case.name, kubernetes_version=case.kubernetes_version,
        resources=_resources([*case.resources, *case.params], case.name),
    )  # fmt: skip
    old = {r.ref.key: r for r in _resources(case.old_resources, case.name)}
    actual: dict[tuple[str, str], tuple[str, str]] = {}
    for name, resource, outcome in engine.outcomes(env, old, case.operation):
        key = (name, resource.ref.key)
        previous = actual.get(key, ("skip", ""))
        if _RANK[outcome.result] >= _RANK[previous[0]]:
            detail = outcome.findings[0].message if outcome.findings else ""
            actual[key] = (outcome.result, detail)
    known = policies.names()
    return [_compare(case, e, env.resources, known, actual) for e in case.expectations]


def _compare(
    case: TestCase,
    expectation: Expectation,
    resources: Sequence[Resource],
    known_policies: set[str],
    actual: dict[tuple[str, str], tuple[str, str]],
) -> CaseResult:
    def result(actual_result: str, ok: bool, detail: str) -> CaseResult:
        return CaseResult(
            test=case.name, file=str(case.file), policy=expectation.policy,
            resource=expectation.resource, expected=expectation.result,
            actual=actual_result, ok=ok, detail=detail,
        )  # fmt: skip

    if expectation.policy not in known_policies:
        return result("error", False, f"unknown policy {expectation.policy!r} in this test")
    matches = [r for r in resources if _identifies(expectation, r.ref)]
    if len(matches) != 1:
        problem = "unknown resource" if not matches else "ambiguous resource"
        return result("error", False, f"{problem} {expectation.resource!r} in this test")
    got, detail = actual.get((expectation.policy, matches[0].ref.key), ("skip", ""))
    return result(got, got == expectation.result, detail)


def _identifies(expectation: Expectation, ref: ResourceRef) -> bool:
    parts = expectation.resource.split("/")
    if len(parts) == 3:
        return parts[0] == ref.kind and parts[1] == (ref.namespace or "") and parts[2] == ref.name
    return len(parts) == 2 and parts[0] == ref.kind and parts[1] == ref.name
