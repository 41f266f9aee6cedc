"""What the API server would know around an admission request, rebuilt from rendered objects."""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.policy.documents import ParamRef
from validator.policy.matching import RequestInfo, request_info, resource_table, selector_matches

NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True)
class Offline:
    """Stand-ins for what only a live cluster knows: the authorizer and the requesting user."""

    authorizer_allows: bool = True
    user_info: Mapping[str, Any] = field(
        default_factory=lambda: {"username": "gitops-validator", "groups": ["system:authenticated"]}
    )


class ClusterView:
    """The objects of one environment seen as a cluster: kinds, namespaces, param objects."""

    def __init__(
        self, bodies: Sequence[Mapping[str, Any]], extra_params: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        self.table = resource_table(
            b for b in bodies if b.get("kind") == "CustomResourceDefinition"
        )
        self.namespaces = {
            str((b.get("metadata") or {}).get("name")): b
            for b in bodies
            if b.get("kind") == "Namespace" and b.get("apiVersion") == "v1"
        }
        self._objects = [*bodies, *extra_params]

    def request(self, body: Mapping[str, Any], operation: str) -> RequestInfo:
        return request_info(body, self.table, operation)

    def namespace_object(self, info: RequestInfo) -> Mapping[str, Any] | None:
        if not info.namespace:
            return None
        found = self.namespaces.get(info.namespace)
        if found is not None:
            return found
        # Not among the rendered objects: the API server still labels every namespace by name.
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": info.namespace, "labels": {NAME_LABEL: info.namespace}},
        }

    def namespace_labels(self, info: RequestInfo) -> Mapping[str, Any]:
        namespace = self.namespace_object(info)
        if namespace is None:
            return {}
        labels = dict((namespace.get("metadata") or {}).get("labels") or {})
        labels.setdefault(NAME_LABEL, info.namespace)
        return labels

    def params(
        self, param_kind: tuple[str, str], ref: ParamRef, info: RequestInfo
    ) -> list[Mapping[str, Any]]:
        """Param objects for a binding, per API server rules (name XOR selector, namespace)."""
        api_version, kind = param_kind
        wanted_namespace = ref.namespace or info.namespace
        found = []
        for body in self._objects:
            if body.get("apiVersion") != api_version or body.get("kind") != kind:
                continue
            metadata = body.get("metadata") or {}
            namespace = metadata.get("namespace")
            if namespace and namespace != wanted_namespace:
                continue
            if ref.name is not None and metadata.get("name") != ref.name:
                continue
            if ref.selector is not None and not selector_matches(
                ref.selector, metadata.get("labels") or {}
            ):
                continue
            found.append(body)
        return found


def request_object(info: RequestInfo, user_info: Mapping[str, Any]) -> dict[str, Any]:
    kind = {"group": info.group, "version": info.version, "kind": info.kind}
    resource = {"group": info.group, "version": info.version, "resource": info.resource}
    return {
        "kind": kind,
        "resource": resource,
        "subResource": "",
        "requestKind": kind,
        "requestResource": resource,
        "requestSubResource": "",
        "name": info.name,
        "namespace": info.namespace or "",
        "operation": info.operation,
        "userInfo": dict(user_info),
        "dryRun": False,
        "options": None,
    }


def secret_values(body: Mapping[str, Any]) -> Iterable[str]:
    """Strings that must never appear in a message about this object."""
    if body.get("kind") != "Secret":
        return ()
    values: list[str] = []
    for key in ("data", "stringData"):
        for value in (body.get(key) or {}).values():
            text = str(value)
            values.append(text)
            with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
                values.append(base64.b64decode(text, validate=True).decode())
    return [v for v in values if len(v) >= 3]


def redact(message: str, secrets: Iterable[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        message = message.replace(value, "***")
    return message
