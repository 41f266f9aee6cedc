"""Kyverno CLI test inputs: values files (kind Values) and userinfo files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from validator.policy.errors import PolicyError

_VALUES_FIELDS = {
    "apiVersion",
    "kind",
    "metadata",
    "globalValues",
    "policies",
    "namespaceSelector",
    "namespaces",
    "subresources",
}


def check_fields(body: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise PolicyError(f"{where}: unknown field(s) {', '.join(unknown)}")


def values_lookup(
    values: Mapping[str, Any], where: str
) -> Callable[[str, str, str], dict[str, Any]]:
    """(policy, rule, resource name) → merged values: global < rule < resource."""
    if values:
        check_fields(values, _VALUES_FIELDS, where)
    global_values = dict(values.get("globalValues") or {})
    policies = [p for p in values.get("policies") or [] if isinstance(p, Mapping)]

    def lookup(policy: str, rule: str, resource: str) -> dict[str, Any]:
        merged = dict(global_values)
        short = policy.rpartition("/")[2]
        for entry in policies:
            if entry.get("name") not in (policy, short):
                continue
            for raw in entry.get("rules") or []:
                if isinstance(raw, Mapping) and raw.get("name") in (rule, _base_rule(rule)):
                    merged.update(raw.get("values") or {})
            for raw in entry.get("resources") or []:
                if isinstance(raw, Mapping) and raw.get("name") == resource:
                    merged.update(raw.get("values") or {})
        return merged

    return lookup


def provided_names(values: Mapping[str, Any]) -> set[str]:
    """Top-level variable names any values entry sets (`imageData.x` sets imageData)."""
    keys = set((values.get("globalValues") or {}).keys())
    for entry in values.get("policies") or []:
        if not isinstance(entry, Mapping):
            continue
        for raw in [*(entry.get("rules") or []), *(entry.get("resources") or [])]:
            if isinstance(raw, Mapping):
                keys.update((raw.get("values") or {}).keys())
    return {str(k).split(".")[0] for k in keys}


def _base_rule(rule: str) -> str:
    for prefix in ("autogen-cronjob-", "autogen-"):
        if rule.startswith(prefix):
            return rule.removeprefix(prefix)
    return rule


def namespace_labels(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    for entry in values.get("namespaceSelector") or []:
        if isinstance(entry, Mapping) and entry.get("name"):
            labels[str(entry["name"])] = dict(entry.get("labels") or {})
    for namespace in values.get("namespaces") or []:
        if isinstance(namespace, Mapping):
            metadata = namespace.get("metadata") or {}
            if metadata.get("name"):
                labels.setdefault(str(metadata["name"]), {}).update(metadata.get("labels") or {})
    return labels


def namespace_objects(
    values: Mapping[str, Any], labels: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Namespace objects for the test: values `namespaces` as given (annotations too), with
    the labels of `namespaceSelector` entries."""
    found: dict[str, dict[str, Any]] = {}
    for namespace in values.get("namespaces") or []:
        if isinstance(namespace, Mapping) and (namespace.get("metadata") or {}).get("name"):
            body = dict(namespace)
            body["metadata"] = dict(body["metadata"])
            found[str(body["metadata"]["name"])] = body
    for name, value in labels.items():
        body = found.setdefault(
            name, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )
        body["metadata"]["labels"] = dict(value)
    return list(found.values())


def subresources(values: Mapping[str, Any]) -> dict[str, tuple[str, tuple[str, str, str]]]:
    """Subresource kind → (subresource name, parent (group, version, kind))."""
    out = {}
    for entry in values.get("subresources") or []:
        if not isinstance(entry, Mapping):
            continue
        sub, parent = entry.get("subresource") or {}, entry.get("parentResource") or {}
        name = str(sub.get("name") or "").partition("/")[2]
        if sub.get("kind") and parent.get("kind"):
            group = str(parent.get("group") or "")
            version = str(parent.get("version") or "v1")
            out[str(sub["kind"])] = (name, (group, version, str(parent["kind"])))
    return out


def user_info(document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not document:
        return None
    info = document.get("userInfo") or {}
    return {
        "roles": list(document.get("roles") or []),
        "clusterRoles": list(document.get("clusterRoles") or []),
        "userInfo": {
            "username": info.get("username", ""),
            "groups": list(info.get("groups") or []),
        },
    }
