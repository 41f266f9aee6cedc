"""Family policies (families.py) inside the engine: per-rule results → outcome and findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from validator.model import Category, Finding, RenderedEnvironment, Resource, Severity
from validator.policy.binding_eval import Outcome
from validator.policy.context import redact, secret_values
from validator.policy.families import FamilyPolicy, RuleResult, Scope

_RANK = {"error": 3, "fail": 2, "pass": 1, "skip": 0}


def scope_for(
    env: RenderedEnvironment,
    operation: str | None,
    old: Mapping[str, Any] | None,
    extras: Mapping[str, Any] | None = None,
    user_info: Mapping[str, Any] | None = None,
) -> Scope:
    return Scope(
        environment=env.name,
        kubernetes_version=env.kubernetes_version,
        resources=[*(r.body for r in env.resources), *(extras or {}).get("objects", [])],
        operation=operation or ("UPDATE" if old is not None else "CREATE"),
        old_body=old,
        user_info=user_info,
        extras=dict(extras or {}),
    )


def outcome_of(policy: FamilyPolicy, resource: Resource, results: Sequence[RuleResult]) -> Outcome:
    """fail if a rule failed, else error, else pass, else skip; findings for fail and error."""
    verdict = max((r.result for r in results), key=lambda r: _RANK.get(r, 0), default="skip")
    findings = tuple(
        _finding(policy, resource, r) for r in results if r.result in ("fail", "error")
    )
    return Outcome(verdict, findings, tuple(results))


def _finding(policy: FamilyPolicy, resource: Resource, result: RuleResult) -> Finding:
    message = redact(result.message, secret_values(resource.body))
    if result.result == "error":
        message = f"policy error: {message}"
    return Finding(
        rule_id=policy.name,
        category=Category.POLICY,
        severity=result.severity if isinstance(result.severity, Severity) else Severity.ERROR,
        message=f"{message} (rule {result.rule})",
        environment=resource.environment,
        resource=resource.ref,
        path=result.path,
        family=policy.family,
    )


def family_outcomes(
    policies: Sequence[FamilyPolicy], resource: Resource, scope: Scope
) -> list[tuple[str, Resource, Outcome]]:
    out = []
    for policy in policies:
        results = policy.evaluate(resource, scope)
        out.append((policy.name, resource, outcome_of(policy, resource, results)))
    return out
