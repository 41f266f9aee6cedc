"""One compiled policy against one object: bindings, params, decisions → findings and outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.model import Category, Finding, Resource, Severity
from validator.policy.compiled import CompiledPolicy
from validator.policy.context import ClusterView, redact, secret_values
from validator.policy.documents import ANNOTATION_PREFIX, Binding
from validator.policy.evaluator import Decision, evaluate
from validator.policy.matching import RequestInfo, resources_match
from validator.policy.paths import derive_path

_SEVERITY_ACTIONS = {"error": ("Deny",), "warning": ("Warn",), "info": ("Audit",)}


@dataclass(frozen=True, slots=True)
class ObjectContext:
    resource: Resource
    old_body: Mapping[str, Any] | None
    info: RequestInfo
    namespace_labels: Mapping[str, Any]
    activation: Callable[[Mapping[str, Any] | None, Mapping[str, Any] | None], Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """result: pass | fail | error | skip (skip: not matched, matchConditions false, or no params
    with parameterNotFoundAction Allow). error: only evaluation errors rejected the object."""

    result: str
    findings: tuple[Finding, ...] = ()
    rules: tuple[Any, ...] = ()  # a family policy's per-rule results (families.RuleResult)


def default_actions(compiled: CompiledPolicy) -> tuple[str, ...]:
    policy = compiled.policy
    if policy.actions:
        return policy.actions
    severity = str(policy.annotations.get(ANNOTATION_PREFIX + "severity", "error"))
    return _SEVERITY_ACTIONS.get(severity, ("Deny",))


def severity_of(actions: Sequence[str]) -> Severity:
    if "Deny" in actions:
        return Severity.ERROR
    return Severity.WARNING if "Warn" in actions else Severity.INFO


def policy_matches(compiled: CompiledPolicy, ctx: ObjectContext) -> bool:
    body = ctx.resource.body
    return resources_match(
        compiled.policy.match, ctx.info, body, ctx.old_body, ctx.namespace_labels
    )


def evaluate_policy(
    compiled: CompiledPolicy,
    bindings: Sequence[Binding],
    ctx: ObjectContext,
    view: ClusterView,
) -> Outcome:
    if not policy_matches(compiled, ctx):
        return Outcome("skip")
    implicit = [Binding(name="", policy_name=compiled.name, actions=default_actions(compiled))]
    evaluated, denied, errored = False, False, False
    findings: list[Finding] = []
    for binding in bindings or implicit:
        if binding.match is not None and not resources_match(
            binding.match, ctx.info, ctx.resource.body, ctx.old_body, ctx.namespace_labels, False
        ):
            continue
        for params, missing in _params(compiled, binding, ctx, view):
            decisions: tuple[Decision, ...] = (Decision("error", missing),) if missing else ()
            if missing is None:
                result = evaluate(compiled, ctx.activation(params, None))
                if result.skipped:
                    continue
                decisions = result.decisions
            evaluated = True
            denied = denied or any(d.kind == "deny" for d in decisions)
            errored = errored or any(_blocks(compiled, d) for d in decisions)
            findings.extend(_finding(compiled, binding, ctx, d, params) for d in decisions)
    if not evaluated:
        return Outcome("skip")
    verdict = "fail" if denied else "error" if errored else "pass"
    return Outcome(verdict, tuple(findings))


def _blocks(compiled: CompiledPolicy, decision: Decision) -> bool:
    """An error under failurePolicy Ignore admits the object; everything else rejects it."""
    return decision.kind == "deny" or compiled.policy.failure_policy != "Ignore"


def _params(
    compiled: CompiledPolicy, binding: Binding, ctx: ObjectContext, view: ClusterView
) -> list[tuple[Mapping[str, Any] | None, str | None]]:
    """(params, None) per param object to evaluate with; (None, error) when Deny finds none."""
    kind, ref = compiled.policy.param_kind, binding.param_ref
    if kind is None or ref is None:
        return [(None, None)]
    found = view.params(kind, ref, ctx.info)
    if found:
        return [(p, None) for p in found]
    if ref.not_found_action == "Deny":
        what = ref.name or "selector"
        return [(None, f"no params found for binding {binding.name!r} ({kind[1]} {what}): Deny")]
    return []


def _finding(
    compiled: CompiledPolicy,
    binding: Binding,
    ctx: ObjectContext,
    decision: Decision,
    params: Mapping[str, Any] | None = None,
) -> Finding:
    body = ctx.resource.body
    message = redact(decision.message, secret_values(body))
    severity = severity_of(binding.actions)
    if decision.kind == "error":
        if compiled.policy.failure_policy == "Ignore":
            severity = Severity.INFO
            message = f"policy error (ignored, failurePolicy Ignore): {message}"
        else:
            message = f"policy error: {message}"
    if binding.name:
        message = f"{message} (binding {binding.name})"
    path = None
    if decision.validation is not None and decision.kind == "deny":
        check = decision.validation.check

        def fails(modified: Any) -> bool:
            return check.evaluate(ctx.activation(params, modified)).value is False

        path = derive_path(check.ast, body, fails)
    return Finding(
        rule_id=compiled.name,
        category=Category.POLICY,
        severity=severity,
        message=message,
        environment=ctx.resource.environment,
        resource=ctx.resource.ref,
        path=path,
        family="kyverno" if compiled.policy.kind == "ValidatingPolicy" else "vap",
    )
