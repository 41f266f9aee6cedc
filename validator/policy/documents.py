"""Typed views of ValidatingAdmissionPolicy, its bindings, and Kyverno ValidatingPolicy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.policy.errors import PolicyError

VAP_GROUP = "admissionregistration.k8s.io/"
KYVERNO_GROUP = "policies.kyverno.io/"
ANNOTATION_PREFIX = "policies.gitops-validator.io/"
ACTIONS = ("Deny", "Warn", "Audit")


@dataclass(frozen=True, slots=True)
class Rule:
    api_groups: tuple[str, ...] = ("*",)
    api_versions: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    operations: tuple[str, ...] = ("*",)
    scope: str = "*"
    resource_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchResources:
    resource_rules: tuple[Rule, ...] = ()
    exclude_rules: tuple[Rule, ...] = ()
    namespace_selector: Mapping[str, Any] | None = None
    object_selector: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Validation:
    expression: str
    message: str | None = None
    message_expression: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ParamRef:
    name: str | None
    namespace: str | None
    selector: Mapping[str, Any] | None
    not_found_action: str  # Allow | Deny


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    kind: str  # ValidatingAdmissionPolicy | ValidatingPolicy
    match: MatchResources
    validations: tuple[Validation, ...]
    match_conditions: tuple[tuple[str, str], ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    audit_annotations: tuple[tuple[str, str], ...] = ()
    failure_policy: str = "Fail"
    param_kind: tuple[str, str] | None = None  # (apiVersion, kind)
    actions: tuple[str, ...] | None = None  # Kyverno policies carry their own actions
    annotations: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    autogen_controllers: tuple[str, ...] = ()  # Kyverno: pod controllers to generate rules for
    generated: bool = False  # an autogen variant of a pod policy, reported under its name

    def meta(self, key: str, default: str = "") -> str:
        return str(self.annotations.get(ANNOTATION_PREFIX + key, default))


@dataclass(frozen=True, slots=True)
class Binding:
    name: str
    policy_name: str
    actions: tuple[str, ...]
    param_ref: ParamRef | None = None
    match: MatchResources | None = None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _rule(raw: Mapping[str, Any]) -> Rule:
    return Rule(
        api_groups=_strings(raw.get("apiGroups")) or ("*",),
        api_versions=_strings(raw.get("apiVersions")) or ("*",),
        resources=_strings(raw.get("resources")) or ("*",),
        operations=_strings(raw.get("operations")) or ("*",),
        scope=str(raw.get("scope") or "*"),
        resource_names=_strings(raw.get("resourceNames")),
    )


def parse_match(raw: Any) -> MatchResources:
    raw = raw if isinstance(raw, Mapping) else {}
    return MatchResources(
        resource_rules=tuple(
            _rule(r) for r in raw.get("resourceRules") or [] if isinstance(r, Mapping)
        ),
        exclude_rules=tuple(
            _rule(r) for r in raw.get("excludeResourceRules") or [] if isinstance(r, Mapping)
        ),
        namespace_selector=raw.get("namespaceSelector"),
        object_selector=raw.get("objectSelector"),
    )


def _named(items: Any, key: str, value_key: str, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items or []:
        if not isinstance(item, Mapping) or not item.get(key) or not item.get(value_key):
            raise PolicyError(f"{where}: every entry needs {key!r} and {value_key!r}")
        out.append((str(item[key]), str(item[value_key])))
    return tuple(out)


def _validations(items: Any, where: str) -> tuple[Validation, ...]:
    out = []
    for item in items or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("expression"), str):
            raise PolicyError(f"{where}: every validation needs an 'expression'")
        out.append(
            Validation(
                expression=item["expression"],
                message=item.get("message"),
                message_expression=item.get("messageExpression"),
                reason=item.get("reason"),
            )
        )
    return tuple(out)


def parse_policy(body: Mapping[str, Any], source: str) -> Policy:
    metadata = body.get("metadata") or {}
    name = str(metadata.get("name") or "")
    spec = body.get("spec")
    where = f"{source}: {body.get('kind')} {name!r}"
    if not name or not isinstance(spec, Mapping):
        raise PolicyError(f"{where}: needs metadata.name and spec")
    kind = str(body.get("kind"))
    validations = _validations(spec.get("validations"), where)
    audits = _named(spec.get("auditAnnotations"), "key", "valueExpression", where)
    if not validations and not audits:
        raise PolicyError(f"{where}: needs validations or auditAnnotations")
    if kind == "ValidatingAdmissionPolicy" and not (spec.get("matchConstraints") or {}).get(
        "resourceRules"
    ):
        raise PolicyError(f"{where}: spec.matchConstraints.resourceRules is required")
    param_kind = spec.get("paramKind")
    actions = _strings(spec.get("validationActions")) if kind == "ValidatingPolicy" else None
    return Policy(
        name=name,
        kind=kind,
        match=parse_match(spec.get("matchConstraints")),
        validations=validations,
        match_conditions=_named(spec.get("matchConditions"), "name", "expression", where),
        variables=dict(_named(spec.get("variables"), "name", "expression", where)),
        audit_annotations=audits,
        failure_policy=str(spec.get("failurePolicy") or "Fail"),
        param_kind=(str(param_kind.get("apiVersion")), str(param_kind.get("kind")))
        if isinstance(param_kind, Mapping)
        else None,
        actions=_checked_actions(actions or ("Deny",), where) if actions is not None else None,
        annotations=dict(metadata.get("annotations") or {}),
        source=source,
        autogen_controllers=_autogen_controllers(spec) if kind == "ValidatingPolicy" else (),
    )


POD_CONTROLLERS = ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs")


def _autogen_controllers(spec: Mapping[str, Any]) -> tuple[str, ...]:
    autogen = spec.get("autogen") or {}
    if (autogen.get("validatingAdmissionPolicy") or {}).get("enabled"):
        return ()
    controllers = (autogen.get("podControllers") or {}).get("controllers")
    if controllers is None:
        return POD_CONTROLLERS
    return tuple(str(c).lower() for c in controllers if str(c).lower() in POD_CONTROLLERS)


def _checked_actions(actions: Sequence[str], where: str) -> tuple[str, ...]:
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise PolicyError(f"{where}: validationActions must be a non-empty subset of {ACTIONS}")
    if "Deny" in actions and "Warn" in actions:
        raise PolicyError(f"{where}: validationActions may not contain both Deny and Warn")
    return tuple(actions)


def parse_binding(body: Mapping[str, Any], source: str) -> Binding:
    metadata = body.get("metadata") or {}
    spec = body.get("spec") or {}
    name = str(metadata.get("name") or "")
    where = f"{source}: ValidatingAdmissionPolicyBinding {name!r}"
    if not name or not spec.get("policyName"):
        raise PolicyError(f"{where}: needs metadata.name and spec.policyName")
    raw_ref = spec.get("paramRef")
    param_ref = None
    if isinstance(raw_ref, Mapping):
        if bool(raw_ref.get("name")) == (raw_ref.get("selector") is not None):
            raise PolicyError(f"{where}: paramRef needs exactly one of name or selector")
        param_ref = ParamRef(
            name=raw_ref.get("name"),
            namespace=raw_ref.get("namespace"),
            selector=raw_ref.get("selector"),
            not_found_action=str(raw_ref.get("parameterNotFoundAction") or "Deny"),
        )
    return Binding(
        name=name,
        policy_name=str(spec["policyName"]),
        # Required by the API server; the Kyverno CLI accepts a binding without it, as Deny.
        actions=_checked_actions(_strings(spec.get("validationActions")) or ("Deny",), where),
        param_ref=param_ref,
        match=parse_match(spec["matchResources"]) if spec.get("matchResources") else None,
    )


def classify(body: Mapping[str, Any]) -> str:
    """policy, binding or other (a param resource or anything else found in a policy file)."""
    api_version, kind = str(body.get("apiVersion") or ""), body.get("kind")
    if api_version.startswith(VAP_GROUP) and kind == "ValidatingAdmissionPolicy":
        return "policy"
    if api_version.startswith(VAP_GROUP) and kind == "ValidatingAdmissionPolicyBinding":
        return "binding"
    if api_version.startswith(KYVERNO_GROUP) and kind == "ValidatingPolicy":
        return "policy"
    return "other"
