"""A Kyverno ClusterPolicy/Policy against one object: every rule that matches it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from validator.model import Resource
from validator.policy.families import RuleResult, Scope
from validator.policy.kyverno.cel_rule import run_cel
from validator.policy.kyverno.conditions import ConditionError, evaluate_conditions
from validator.policy.kyverno.context import base_context, set_dotted
from validator.policy.kyverno.match import Request, rule_matches
from validator.policy.kyverno.policy import KyvernoPolicy, KyvernoRule
from validator.policy.kyverno.rules import CelRunner, Response, RuleRun, validate_block
from validator.policy.kyverno.values import wildcard_match

NAME_LABEL = "kubernetes.io/metadata.name"


def namespace_labels(scope: Scope, namespace: str | None) -> Mapping[str, Any]:
    if not namespace:
        return {}
    given = scope.extras.get("kyverno.namespaceLabels")
    if isinstance(given, Mapping):
        return dict(given.get(namespace) or {})
    index = _NAMESPACES.get(id(scope.resources))
    if index is None or index[0] is not scope.resources:
        index = (scope.resources, _namespace_index(scope.resources))
        _NAMESPACES.clear()  # one environment at a time
        _NAMESPACES[id(scope.resources)] = index
    return index[1].get(namespace) or {NAME_LABEL: namespace}


_NAMESPACES: dict[int, tuple[Any, dict[str, dict[str, Any]]]] = {}


def _namespace_index(objects: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    index = {}
    for body in objects:
        metadata = body.get("metadata") or {}
        if body.get("kind") == "Namespace" and metadata.get("name"):
            name = str(metadata["name"])
            index[name] = {NAME_LABEL: name, **(metadata.get("labels") or {})}
    return index


def _values(
    scope: Scope, policy: KyvernoPolicy, rule: KyvernoRule, resource: Resource
) -> dict[str, Any]:
    """A Kyverno test's values for this policy, rule and resource (dotted keys)."""
    values_for = scope.extras.get("kyverno.values")
    if values_for is None:
        return {}
    found: dict[str, Any] = dict(values_for(policy.name, rule.name, resource.ref.name))
    return found


def evaluate_policy(policy: KyvernoPolicy, resource: Resource, scope: Scope) -> list[RuleResult]:
    results = []
    for rule in policy.rules:
        values = _values(scope, policy, rule, resource)
        operation = str(_operation(values) or scope.operation).upper()
        body = _with_object_values(resource.body, values)
        old = scope.old_body if operation in ("UPDATE", "DELETE") else None
        if old is None and operation in ("UPDATE", "DELETE"):
            old = body  # the Kyverno CLI: the resource is its own old object
        subject = old if operation == "DELETE" and old is not None else body
        namespace = (subject.get("metadata") or {}).get("namespace")
        request = Request(
            subject, operation, namespace_labels(scope, namespace), scope.user_info,
            *_subresource(scope, subject),
        )  # fmt: skip
        if not rule_matches(
            rule.raw.get("match"), rule.raw.get("exclude"), request, policy.namespace
        ):
            continue
        response = _rule(policy, rule, resource, scope, request, values, old)
        if response is not None:
            results.append(
                RuleResult(rule.name, response.status, response.message, response.path,
                           rule.severity)
            )  # fmt: skip
    return results


def _operation(values: Mapping[str, Any]) -> Any:
    request = values.get("request")
    nested = request.get("operation") if isinstance(request, Mapping) else None
    return values.get("request.operation") or nested


def _with_object_values(body: Mapping[str, Any], values: Mapping[str, Any]) -> Mapping[str, Any]:
    """Values naming `request.object.*` change the resource itself, matching included, as the
    Kyverno CLI applies them."""
    keys = [k for k in values if str(k).startswith("request.object.")]
    if not keys:
        return body
    holder: dict[str, Any] = {"request": {"object": body}}
    for key in keys:
        set_dotted(holder, str(key), values[key], merge=True)
    changed: Mapping[str, Any] = holder["request"]["object"]
    return changed


def _subresource(scope: Scope, body: Mapping[str, Any]) -> tuple[str, tuple[str, str, str] | None]:
    """A test's `subresources` values: e.g. PodExecOptions is the `exec` subresource of Pod."""
    known = scope.extras.get("kyverno.subresources") or {}
    entry = known.get(str(body.get("kind")))
    if entry is None:
        return "", None
    name, (group, version, kind) = entry
    return str(name), (str(group), str(version), str(kind))


def _context(
    scope: Scope,
    body: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    operation: str,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    context = base_context(body, old, operation, scope.user_info)
    for key, value in values.items():
        set_dotted(context, key, value, merge=True)
    return context


def _rule(
    policy: KyvernoPolicy,
    rule: KyvernoRule,
    resource: Resource,
    scope: Scope,
    request: Request,
    values: Mapping[str, Any],
    old: Mapping[str, Any] | None,
) -> Response | None:
    operation = request.operation
    provided = {str(k).split(".")[0] for k in values}
    missing = [n for n in rule.offline_gaps if n not in provided]
    if missing and not scope.extras.get("kyverno.test"):
        return None  # reported once, at load, as a policy-unsupported finding
    # In a test, values or mocked responses may supply the entry; loading it says if not.
    response = _run(
        policy,
        rule,
        request.body if operation != "DELETE" else resource.body,
        old,
        operation,
        scope,
        values,
        request,
    )
    if (
        response is not None
        and response.status == "fail"
        and rule.failure_action == "Enforce"
        and operation == "UPDATE"
        and old is not None
        and rule.validate.get("allowExistingViolations", True) is not False
    ):
        old_request = Request(old, "CREATE", request.namespace_labels, request.user)
        if rule_matches(
            rule.raw.get("match"), rule.raw.get("exclude"), old_request, policy.namespace
        ):
            prior = _run(policy, rule, old, None, "CREATE", scope, values, old_request)
            if prior is not None and prior.status == "fail":
                return Response(
                    "skip", "skipping the rule evaluation as pre-existing violations are allowed"
                )
    return response


def _run(
    policy: KyvernoPolicy,
    rule: KyvernoRule,
    body: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    operation: str,
    scope: Scope,
    values: Mapping[str, Any],
    request: Request,
) -> Response | None:
    context = _context(scope, body, old, operation, values)
    # The old-object re-run of allowExistingViolations is a CREATE, whatever values say.
    context["request"]["operation"] = operation
    delete = operation == "DELETE"
    run = RuleRun(
        name=rule.name,
        message=str(rule.validate.get("message") or ""),
        context=context,
        objects=scope.resources,
        provided={k.split(".")[0] for k in values},
        responses=scope.extras.get("kyverno.apiCallResponses") or {},
        delete=delete,
        cel=_cel_runner(rule, scope, request),
    )

    def exceptions(current: RuleRun) -> Response | list[str]:
        return _exception_applies(policy, rule, current, request)

    return validate_block(
        run, rule.validate, 0, rule.raw.get("context"), rule.raw.get("preconditions"), exceptions
    )


def _cel_runner(rule: KyvernoRule, scope: Scope, request: Request) -> CelRunner:
    namespace = (request.body.get("metadata") or {}).get("namespace")
    namespace_object = (
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": namespace, "labels": dict(request.namespace_labels)}}
        if namespace else None
    )  # fmt: skip

    def run(block: Mapping[str, Any], context: Mapping[str, Any]) -> Response:
        return run_cel(rule.name, rule.raw, block["cel"] or {}, context, scope.resources,
                       scope.kubernetes_version, namespace_object)  # fmt: skip

    return run


def _exception_applies(
    policy: KyvernoPolicy, rule: KyvernoRule, run: RuleRun, request: Request
) -> Response | list[str]:
    """Names of PolicyExceptions that cover this rule and request (checked after the
    preconditions by validate_block); an error Response when one cannot be evaluated."""
    names = []
    for exception in policy.exceptions:
        if not _names_rule(exception, policy, rule):
            continue
        spec = exception.get("spec") or {}
        if not rule_matches(spec.get("match"), None, request):
            continue
        try:
            ok, _ = evaluate_conditions(spec.get("conditions"), run.context, run.delete)
        except ConditionError as error:
            return Response("error", f"policy exception conditions: {error}")
        except ValueError as error:
            return Response("error", f"policy exception conditions: {error}")
        if ok:
            metadata = exception.get("metadata") or {}
            key = "/".join(p for p in (metadata.get("namespace"), metadata.get("name")) if p)
            names.append(key)
    return names


def _names_rule(exception: Mapping[str, Any], policy: KyvernoPolicy, rule: KyvernoRule) -> bool:
    entries: Sequence[Any] = (exception.get("spec") or {}).get("exceptions") or []
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("policyName") != policy.name:
            continue
        if any(wildcard_match(str(p), rule.name) for p in entry.get("ruleNames") or []):
            return True
    return False
