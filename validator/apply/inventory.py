"""The in-cluster inventory: an ApplySet parent (KEP-3659) plus an explicit object list.

The parent is a Secret or ConfigMap labelled `applyset.kubernetes.io/id` (derived from the
parent's own name/namespace/kind/group, so it cannot be impersonated) and annotated with the
tooling and the group-kinds it contains, so `kubectl` recognises the set. Members carry
`applyset.kubernetes.io/part-of: <id>`. The explicit list of members (apiVersion, kind,
namespace, name) lets pruning work without discovery or LIST calls.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import validator
from validator.apply.kube import ApplyError, KubeClient
from validator.model import ResourceRef

ID_LABEL = "applyset.kubernetes.io/id"
TOOLING = "applyset.kubernetes.io/tooling"
CONTAINS_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
ADDITIONAL_NAMESPACES = "applyset.kubernetes.io/additional-namespaces"
INVENTORY = "gitops-validator.dev/inventory"
TOOL = "gitops-validator"


@dataclass(frozen=True, slots=True)
class ApplySetParent:
    name: str
    namespace: str
    kind: str = "Secret"

    @property
    def id(self) -> str:
        """`applyset-<base64url(sha256(name.namespace.kind.group))>-v1`, as kubectl computes it."""
        digest = hashlib.sha256(f"{self.name}.{self.namespace}.{self.kind}.".encode()).digest()
        return f"applyset-{base64.urlsafe_b64encode(digest).decode().rstrip('=')}-v1"

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef("v1", self.kind, self.namespace, self.name)


class InventoryError(ApplyError):
    pass


def read_inventory(client: KubeClient, parent: ApplySetParent) -> list[ResourceRef]:
    """The members recorded by the last run; [] when the parent does not exist yet."""
    live = client.get(parent.ref)
    if live is None:
        return []
    metadata = live.get("metadata") or {}
    tooling = str((metadata.get("annotations") or {}).get(TOOLING, ""))
    if not tooling.startswith(f"{TOOL}/"):
        raise InventoryError(
            f"{parent.ref.key} is an ApplySet managed by {tooling or 'an unknown tool'}; "
            "refusing to take it over"
        )
    if (metadata.get("labels") or {}).get(ID_LABEL) != parent.id:
        raise InventoryError(f"{parent.ref.key} carries an ApplySet id that is not its own")
    raw = (metadata.get("annotations") or {}).get(INVENTORY, "[]")
    try:
        entries = json.loads(raw)
        return [
            ResourceRef(str(a), str(k), str(n) if n else None, str(m)) for a, k, n, m in entries
        ]
    except (json.JSONDecodeError, TypeError, ValueError):
        raise InventoryError(f"{parent.ref.key}: the inventory annotation is corrupt") from None


def write_inventory(
    client: KubeClient, parent: ApplySetParent, members: Iterable[ResourceRef], field_manager: str
) -> None:
    """Server-side apply the parent with exactly `members` recorded."""
    refs = sorted(set(members), key=lambda r: (r.api_version, r.kind, r.namespace or "", r.name))
    group_kinds = sorted({_group_kind(ref) for ref in refs})
    namespaces = sorted({ref.namespace for ref in refs if ref.namespace} - {parent.namespace})
    entries = [[r.api_version, r.kind, r.namespace or "", r.name] for r in refs]
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": parent.kind,
        "metadata": {
            "name": parent.name,
            "namespace": parent.namespace,
            "labels": {ID_LABEL: parent.id},
            "annotations": {
                TOOLING: f"{TOOL}/v{validator.__version__}",
                CONTAINS_GROUP_KINDS: ",".join(group_kinds),
                ADDITIONAL_NAMESPACES: ",".join(namespaces),
                INVENTORY: json.dumps(entries, separators=(",", ":")),
            },
        },
    }
    client.apply(body, dry_run=False, field_manager=field_manager)


def _group_kind(ref: ResourceRef) -> str:
    group = ref.api_version.rpartition("/")[0]
    return f"{ref.kind}.{group}" if group else ref.kind


def identity(ref: ResourceRef) -> tuple[str, str, str, str]:
    """Group, kind, namespace, name: an object is the same across API versions."""
    return (ref.api_version.rpartition("/")[0], ref.kind, ref.namespace or "", ref.name)
