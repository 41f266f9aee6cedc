"""Constraints: a template's kind with `spec.match`, `spec.parameters` and an action.

Matching follows Gatekeeper's `pkg/mutation/match` (every criterion ANDed; a constraint
without `match` matches everything; the object or, on updates, its old version may match).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from validator.model import Severity
from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.template import CONSTRAINT_API, Template
from validator.policy.matching import selector_matches

SEVERITY = {"deny": Severity.ERROR, "warn": Severity.WARNING, "dryrun": Severity.INFO}
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True)
class Constraint:
    kind: str
    name: str
    match: Mapping[str, Any]
    parameters: Mapping[str, Any]
    action: str  # deny | warn | dryrun
    source: str
    body: Mapping[str, Any]

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.action]


def is_constraint(body: Mapping[str, Any]) -> bool:
    return str(body.get("apiVersion") or "").startswith(CONSTRAINT_API)


def parse_constraint(body: Mapping[str, Any], template: Template, source: str) -> Constraint:
    metadata = body.get("metadata") or {}
    name = str(metadata.get("name") or "")
    where = f"{source}: {body.get('kind')} {name!r}"
    if not name:
        raise PolicyError(f"{where}: needs metadata.name")
    spec = _mapping(body.get("spec"))
    parameters = spec.get("parameters") if spec.get("parameters") is not None else {}
    if not isinstance(parameters, Mapping):
        raise PolicyError(f"{where}: spec.parameters must be an object")
    if template.schema is not None:
        parameters = with_defaults(parameters, template.schema)
        errors = [
            f"{'/'.join(str(p) for p in e.instance_path) or '(root)'}: {e.message}"
            for e in jsonschema_rs.validator_for(_structural(template.schema)).iter_errors(
                parameters
            )
        ]
        if errors:
            raise PolicyError(f"{where}: spec.parameters: {'; '.join(errors[:5])}")
    action = str(spec.get("enforcementAction") or "deny").lower()
    if action == "scoped":
        action = _scoped(spec)
    if action not in SEVERITY:
        raise PolicyError(f"{where}: enforcementAction must be deny, warn, dryrun or scoped")
    match = _mapping(spec.get("match"))
    return Constraint(template.kind, name, match, parameters, action, source, body)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _scoped(spec: Mapping[str, Any]) -> str:
    """A scoped constraint counts where gator counts it: enforcement points gator or `*`."""
    for entry in spec.get("scopedEnforcementActions") or []:
        points = [str(p.get("name")) for p in entry.get("enforcementPoints") or []]
        if {"gator.gatekeeper.sh", "*"} & set(points):
            return str(entry.get("action") or "deny").lower()
    return "dryrun"


def _structural(schema: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAPI extensions (x-kubernetes-*) are not JSON Schema keywords; drop `nullable`."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes") or key == "nullable":
            continue
        if isinstance(value, Mapping):
            out[key] = _structural(value)
        elif isinstance(value, list):
            out[key] = [_structural(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out


def with_defaults(value: Any, schema: Mapping[str, Any]) -> Any:
    """Fill `default`s of object properties, as the API server does for a structural CRD."""
    if isinstance(value, Mapping):
        out = dict(value)
        for name, sub in (schema.get("properties") or {}).items():
            if not isinstance(sub, Mapping):
                continue
            if name not in out and "default" in sub:
                out[name] = sub["default"]
            if name in out:
                out[name] = with_defaults(out[name], sub)
        return out
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        return [with_defaults(v, items) for v in value]
    return value


def wildcard(pattern: str, value: str) -> bool:
    """Gatekeeper's wildcards: `a*` prefix, `*a` suffix, `*a*` substring, else exact."""
    if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
        return pattern[1:-1] in value
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return pattern == value


@dataclass(frozen=True, slots=True)
class Target:
    """What matching looks at: the object and where it lives."""

    body: Mapping[str, Any]
    namespace_labels: Mapping[str, Any] | None  # None: the namespace is not known


def matches(match: Mapping[str, Any], target: Target, excluded: Sequence[str] = ()) -> bool:
    body = target.body
    metadata = body.get("metadata") or {}
    kind, api_version = str(body.get("kind") or ""), str(body.get("apiVersion") or "")
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    namespace = str(metadata.get("namespace") or "")
    is_namespace = kind == "Namespace" and group == ""
    scope_ns = str(metadata.get("name") or "") if is_namespace else namespace
    if scope_ns and any(wildcard(p, scope_ns) for p in excluded):
        return False
    checks = (
        _kinds(match.get("kinds"), group, kind),
        _scope(str(match.get("scope") or "*"), is_namespace, namespace),
        _namespaces(match.get("namespaces"), scope_ns, is_namespace or bool(namespace), True),
        not _namespaces(match.get("excludedNamespaces"), scope_ns, bool(scope_ns), False),
        _labels(match.get("labelSelector"), metadata.get("labels") or {}),
        _namespace_selector(match.get("namespaceSelector"), target, is_namespace, namespace),
        _name(match.get("name"), metadata),
    )
    return all(checks)


def _kinds(entries: Any, group: str, kind: str) -> bool:
    if not entries:
        return True
    for entry in entries:
        groups = [str(g) for g in entry.get("apiGroups") or []]
        kinds = [str(k) for k in entry.get("kinds") or []]
        if (not groups or "*" in groups or group in groups) and (
            not kinds or "*" in kinds or kind in kinds
        ):
            return True
    return False


def _scope(scope: str, is_namespace: bool, namespace: str) -> bool:
    if scope == "Cluster":
        return is_namespace or not namespace
    if scope == "Namespaced":
        return not is_namespace and bool(namespace)
    return True


def _namespaces(patterns: Any, namespace: str, namespaced: bool, when_cluster: bool) -> bool:
    if not patterns:
        return when_cluster
    if not namespaced:
        return when_cluster  # other cluster-scoped objects pass both lists
    return any(wildcard(str(p), namespace) for p in patterns)


def _labels(selector: Any, labels: Mapping[str, Any]) -> bool:
    return not selector or selector_matches(selector, labels)


def _namespace_selector(selector: Any, target: Target, is_namespace: bool, ns: str) -> bool:
    if not selector:
        return True
    if is_namespace:
        labels = dict((target.body.get("metadata") or {}).get("labels") or {})
        labels.setdefault(NAME_LABEL, str((target.body.get("metadata") or {}).get("name")))
        return selector_matches(selector, labels)
    if not ns:
        return True
    if target.namespace_labels is None:
        raise PolicyError(f"unable to match constraints: namespace {ns!r} is not known")
    return selector_matches(selector, target.namespace_labels)


def _name(pattern: Any, metadata: Mapping[str, Any]) -> bool:
    if not pattern:
        return True
    name = str(metadata.get("name") or "")
    if name:
        return wildcard(str(pattern), name)
    generate = str(metadata.get("generateName") or "")
    return bool(generate) and str(pattern).rstrip("*").startswith(generate)
