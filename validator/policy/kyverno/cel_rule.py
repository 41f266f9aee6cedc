"""`validate.cel` in a Kyverno ClusterPolicy rule, on the project's CEL engine (cel_env).

The rule's expressions, variables, auditAnnotations and celPreconditions compile once per
Kubernetes version as a ValidatingAdmissionPolicy would; params come from `paramKind` and
`paramRef` resolved among the objects. A missing expression message falls back to the rule's
`validate.message`, as in Kyverno.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from validator.policy import kyverno_cel
from validator.policy.cel_env import CelEnvironment
from validator.policy.compiled import CompiledPolicy, compile_policy
from validator.policy.context import request_object
from validator.policy.documents import MatchResources, Policy, Validation
from validator.policy.errors import PolicyError
from validator.policy.evaluator import evaluate
from validator.policy.kyverno.rules import Response
from validator.policy.matching import request_info, resource_table, selector_matches

# Keyed by the rule's cel block identity; the block is kept so its id cannot be reused.
_COMPILED: dict[tuple[int, str], tuple[Mapping[str, Any], CompiledPolicy]] = {}


def _named(items: Any, key: str, value: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(i.get(key)), str(i.get(value)))
        for i in items or []
        if isinstance(i, Mapping) and i.get(key) is not None and i.get(value) is not None
    )


def _policy(name: str, rule: Mapping[str, Any], cel: Mapping[str, Any]) -> Policy:
    message = str((rule.get("validate") or {}).get("message") or "") or None
    validations = tuple(
        Validation(
            expression=str(item.get("expression")),
            message=item.get("message") or message,
            message_expression=item.get("messageExpression"),
            reason=item.get("reason"),
        )
        for item in cel.get("expressions") or []
        if isinstance(item, Mapping) and item.get("expression")
    )
    param_kind = cel.get("paramKind")
    return Policy(
        name=name,
        kind="ValidatingAdmissionPolicy",
        match=MatchResources(),
        validations=validations,
        match_conditions=_named(rule.get("celPreconditions"), "name", "expression"),
        variables=dict(_named(cel.get("variables"), "name", "expression")),
        audit_annotations=_named(cel.get("auditAnnotations"), "key", "valueExpression"),
        param_kind=(str(param_kind.get("apiVersion")), str(param_kind.get("kind")))
        if isinstance(param_kind, Mapping)
        else None,
    )


def compiled_rule(
    name: str, rule: Mapping[str, Any], cel: Mapping[str, Any], version: str
) -> CompiledPolicy:
    key = (id(cel), version)
    entry = _COMPILED.get(key)
    if entry is None or entry[0] is not cel:
        if len(_COMPILED) > 10_000:
            _COMPILED.clear()
        env = CelEnvironment(version, kyverno=True)
        entry = _COMPILED[key] = (cel, compile_policy(_policy(name, rule, cel), env))
    return entry[1]


def _params(
    cel: Mapping[str, Any], objects: Sequence[Mapping[str, Any]], namespace: str | None
) -> list[Mapping[str, Any] | None]:
    kind, ref = cel.get("paramKind"), cel.get("paramRef")
    if not isinstance(kind, Mapping) or not isinstance(ref, Mapping):
        return [None]
    wanted = ref.get("namespace") or namespace
    found = []
    for body in objects:
        metadata = body.get("metadata") or {}
        if body.get("apiVersion") != kind.get("apiVersion") or body.get("kind") != kind.get("kind"):
            continue
        if metadata.get("namespace") and metadata.get("namespace") != wanted:
            continue
        if ref.get("name") and metadata.get("name") != ref.get("name"):
            continue
        if ref.get("selector") is not None and not selector_matches(
            ref["selector"], metadata.get("labels") or {}
        ):
            continue
        found.append(body)
    return list(found)


def run_cel(
    name: str,
    rule: Mapping[str, Any],
    cel: Mapping[str, Any],
    context: Mapping[str, Any],
    objects: Sequence[Mapping[str, Any]],
    version: str,
    namespace_object: Mapping[str, Any] | None,
) -> Response:
    compiled = compiled_rule(name, rule, cel, version)
    if compiled.compile_error:
        return Response("error", compiled.compile_error)
    request = context.get("request") or {}
    body = request.get("object") or request.get("oldObject") or {}
    try:
        info = request_info(body, resource_table([]), str(request.get("operation") or "CREATE"))
    except PolicyError as error:
        return Response("error", str(error))
    params_list = _params(cel, objects, info.namespace)
    if not params_list:
        return Response("error", f"rule {name}: no params found for paramRef")
    env = CelEnvironment(version, kyverno=True)
    libraries = kyverno_cel.library_values(kyverno_cel.register(objects))
    for params in params_list:
        activation = env.activation(
            {
                **libraries,
                "object": request.get("object"),
                "oldObject": request.get("oldObject"),
                "request": request_object(info, request.get("userInfo") or {}),
                "params": params,
                "namespaceObject": namespace_object,
            }
        )
        evaluated = evaluate(compiled, activation)
        if evaluated.skipped:
            return Response("skip", "cel preconditions not met")
        for decision in evaluated.decisions:
            status = "fail" if decision.kind == "deny" else "error"
            return Response(status, decision.message)
    return Response("pass", f"validation rule '{name}' passed.")
