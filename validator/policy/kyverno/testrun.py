"""Run one Kyverno CLI test: the engine once per operation, then score every expectation."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from validator.policy.binding_eval import Outcome
from validator.policy.context import Offline
from validator.policy.engine import PolicyEngine
from validator.policy.kyverno import testvalues
from validator.policy.kyverno.testformat import _NOT_VALIDATION, environment, resources_of
from validator.policy.loader import PolicySet
from validator.policy.testing import CaseResult

_RANK = {"error": 3, "fail": 2, "pass": 1, "skip": 0}
Outcomes = dict[tuple[str, str], Outcome]  # (policy, resource key) → outcome


def run_test(
    *,
    name: str,
    file: Path,
    where: str,
    policies: PolicySet,
    values: Mapping[str, Any],
    user: Mapping[str, Any] | None,
    resources: Sequence[Mapping[str, Any]],
    cluster: Sequence[Mapping[str, Any]],
    params: Sequence[Mapping[str, Any]],
    responses: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    images: Mapping[str, Any] | None = None,
) -> tuple[list[CaseResult], list[str]]:
    supplied = testvalues.provided_names(values)
    errors = [
        str(p) for p in policies.problems if not _supplied(p.message, supplied, bool(responses))
    ]
    labels = testvalues.namespace_labels(values)
    lookup = testvalues.values_lookup(values, where)
    extras = {
        "kyverno.test": True,
        "kyverno.values": lookup,
        "kyverno.namespaceLabels": labels,
        "kyverno.apiCallResponses": responses,
        "kyverno.subresources": testvalues.subresources(values),
        "objects": list(cluster),
        "images": dict(images or {}),
        "user_info": user,
    }
    offline = Offline(user_info=user["userInfo"]) if user else None
    engine = PolicyEngine(
        PolicySet(), policies, default_profile="none", offline=offline, family_extras=extras
    )
    env = environment(name, [*testvalues.namespace_objects(values, labels), *resources, *params])
    # A values file's request.operation is a variable of Kyverno rules (applied per rule);
    # only a result's `operation` makes a run with that operation (old object = the resource).
    default_op = "CREATE"
    by_operation: dict[str, Outcomes] = {}
    cases: list[CaseResult] = []
    for expectation in results:
        operation = str(expectation.get("operation") or default_op).upper()
        if operation not in by_operation:
            by_operation[operation] = _run(engine, env, operation)
        cases.extend(_score(name, file, policies, resources, expectation, by_operation[operation]))
    return cases, errors


def _supplied(message: str, names: set[str], mocked: bool) -> bool:
    """A context entry the test's values (or mocked API responses) supply is no problem here."""
    match = re.search(r"context entry '([^']+)'", message)
    if match is None:
        return False
    return match.group(1) in names or (mocked and "apiCall.service" in message)


def _run(engine: PolicyEngine, env: Any, operation: str) -> Outcomes:
    old = {r.ref.key: r for r in env.resources} if operation in ("UPDATE", "DELETE") else None
    outcomes: Outcomes = {}
    for policy, resource, outcome in engine.outcomes(env, old, operation):
        key = (policy, resource.ref.key)
        previous = outcomes.get(key)
        if previous is None or _RANK[outcome.result] > _RANK[previous.result]:
            outcomes[key] = outcome
    return outcomes


def _score(
    test: str,
    file: Path,
    policies: PolicySet,
    resources: Sequence[Mapping[str, Any]],
    expectation: Mapping[str, Any],
    outcomes: Outcomes,
) -> list[CaseResult]:
    policy = str(expectation.get("policy") or "")
    rule = str(expectation.get("rule") or "")
    expected = str(expectation["result"])
    label = f"{policy}/{rule}" if rule else policy

    def case(resource: str, actual: str, ok: bool, detail: str = "") -> CaseResult:
        return CaseResult(
            test=test,
            file=str(file),
            policy=label,
            resource=resource,
            expected=expected,
            actual=actual,
            ok=ok,
            detail=detail,
        )

    ids = [str(r) for r in expectation.get("resources") or []]
    if not ids:
        return [case("-", "error", False, "the result names no resources")]
    not_validation = [f for f in _NOT_VALIDATION if expectation.get(f)]
    if not_validation:
        return [
            case(r, "error", False, f"{not_validation[0]}: not a validation, not run") for r in ids
        ]
    family = {p.name: p for p in policies.family_policies}
    short = policy.rpartition("/")[2]
    if policy not in policies.names() and short not in {p.name for p in policies.policies}:
        return [case(r, "error", False, f"unknown policy {policy!r} in this test") for r in ids]
    target = family.get(policy)
    if target is not None and rule:
        problem = _rule_problem(target, rule)
        if problem:
            return [case(r, "error", False, problem) for r in ids]
    annotations = getattr(target, "annotations", None) or {}
    scored_off = str(annotations.get("policies.kyverno.io/scored", "")) == "false"
    out = []
    for resource_id in ids:
        matched = _identify(resource_id, resources)
        if not matched:
            out.append(case(resource_id, "error", False, f"unknown resource {resource_id!r}"))
            continue
        # CEL policies have no rules: a `rule` given with them names the policy itself.
        actuals = [
            _actual(outcomes, policy if target else short, key, rule if target else "", scored_off)
            for key in matched
        ]
        out.append(_verdict(case, resource_id, expected, actuals))
    return out


def _verdict(
    case: Callable[..., CaseResult], resource_id: str, expected: str, actuals: list[tuple[str, str]]
) -> CaseResult:
    applied = [a for a in actuals if a[0] != "excluded"]
    if applied:
        actuals = applied  # same-named resources of other kinds the rule skipped do not count
    for actual, detail in actuals:
        if actual == "excluded":
            if expected not in ("pass", "skip"):
                return case(
                    resource_id,
                    "excluded",
                    False,
                    "the rule does not apply to this resource (the Kyverno CLI would "
                    "count this row as a pass)",
                )
        elif actual != expected:
            return case(resource_id, actual, False, detail)
    actual = actuals[0][0] if actuals else "skip"
    return case(resource_id, actual, True, actuals[0][1] if actuals else "")


def _rule_problem(policy: Any, rule: str) -> str:
    names = {r.name for r in getattr(policy, "rules", [])}
    if rule in names or f"autogen-{rule}" in names or f"autogen-cronjob-{rule}" in names:
        return ""
    for skipped in getattr(policy, "skipped", []):
        if skipped.split(" ")[0] == rule:
            return f"rule {rule!r} is not run: {skipped}"
    return f"unknown rule {rule!r} in policy {policy.name!r}"


def _identify(resource_id: str, resources: Sequence[Mapping[str, Any]]) -> list[str]:
    namespace, _, name = resource_id.rpartition("/")
    return [
        ref.key
        for ref in (r.ref for r in resources_of(resources, ""))
        if ref.name == name and (not namespace or (ref.namespace or "") == namespace)
    ]


def _actual(
    outcomes: Outcomes, policy: str, key: str, rule: str, scored_off: bool
) -> tuple[str, str]:
    outcome = outcomes.get((policy, key))
    if outcome is None:
        return "excluded", ""
    if not rule:
        result = outcome.result
        detail = outcome.findings[0].message if outcome.findings else ""
    else:
        wanted = (rule, f"autogen-{rule}"[:63], f"autogen-cronjob-{rule}"[:63])
        responses = [r for r in outcome.rules if r.rule in wanted]
        if not responses:
            return "excluded", ""
        response = max(responses, key=lambda r: _RANK.get(r.result, 0))
        result, detail = response.result, response.message
    if scored_off and result == "fail":
        result = "warn"
    return result, detail
