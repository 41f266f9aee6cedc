"""The in-cluster inventory: an ApplySet parent (KEP-3659) plus an explicit object list.

The parent is a Secret or ConfigMap labelled `applyset.kubernetes.io/id` (derived from the
parent's own name/namespace/kind/group, so it cannot be impersonated) and annotated with the
tooling and the group-kinds it contains, so `kubectl` recognises the set. Members carry
`applyset.kubernetes.io/part-of: <id>`. The explicit list of members (apiVersion, kind,
namespace, name) lets pruning work without discovery or LIST calls. Members that existed before
this tool first applied them (adopted, not created) are listed apart: they are never pruned.
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
from validator.apply.prepare import PART_OF_LABEL
from validator.model import ResourceRef

ID_LABEL = "applyset.kubernetes.io/id"
TOOLING = "applyset.kubernetes.io/tooling"
CONTAINS_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
ADDITIONAL_NAMESPACES = "applyset.kubernetes.io/additional-namespaces"
INVENTORY = "gitops-validator.dev/inventory"
ADOPTED = "gitops-validator.dev/adopted"
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


Identity = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Inventory:
    members: list[ResourceRef]
    adopted: frozenset[Identity] = frozenset()  # identities of members this tool did not create


def read_inventory(client: KubeClient, parent: ApplySetParent) -> Inventory:
    """The members recorded by the last run; empty when the parent does not exist yet."""
    live = client.get(parent.ref)
    if live is None:
        return Inventory([])
    metadata = live.get("metadata") or {}
    tooling = str((metadata.get("annotations") or {}).get(TOOLING, ""))
    if not tooling.startswith(f"{TOOL}/"):
        raise InventoryError(
            f"{parent.ref.key} is an ApplySet managed by {tooling or 'an unknown tool'}; "
            "refusing to take it over"
        )
    if (metadata.get("labels") or {}).get(ID_LABEL) != parent.id:
        raise InventoryError(f"{parent.ref.key} carries an ApplySet id that is not its own")
    annotations = metadata.get("annotations") or {}
    try:
        entries = json.loads(annotations.get(INVENTORY, "[]"))
        members = [
            ResourceRef(str(a), str(k), str(n) if n else None, str(m)) for a, k, n, m in entries
        ]
        adopted = frozenset(
            (str(g), str(k), str(n), str(m))
            for g, k, n, m in json.loads(annotations.get(ADOPTED, "[]"))
        )
    except (json.JSONDecodeError, TypeError, ValueError):
        raise InventoryError(f"{parent.ref.key}: the inventory annotation is corrupt") from None
    return Inventory(members, adopted)


def write_inventory(
    client: KubeClient,
    parent: ApplySetParent,
    members: Iterable[ResourceRef],
    field_manager: str,
    adopted: Iterable[Identity] = (),
) -> None:
    """Server-side apply the parent with exactly `members` (and those of `adopted` that are
    members) recorded."""
    refs = sorted(set(members), key=lambda r: (r.api_version, r.kind, r.namespace or "", r.name))
    kept_adopted = sorted({identity(ref) for ref in refs} & set(adopted))
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
                ADOPTED: json.dumps([list(i) for i in kept_adopted], separators=(",", ":")),
            },
        },
    }
    client.apply(body, dry_run=False, field_manager=field_manager)


def _group_kind(ref: ResourceRef) -> str:
    group = ref.api_version.rpartition("/")[0]
    return f"{ref.kind}.{group}" if group else ref.kind


def identity(ref: ResourceRef) -> Identity:
    """Group, kind, namespace, name: an object is the same across API versions."""
    return (ref.api_version.rpartition("/")[0], ref.kind, ref.namespace or "", ref.name)


def adopts(ref: ResourceRef, live: Any, recorded: set[Identity], applyset_id: str) -> bool:
    """An existing object that is not a recorded member and does not carry this set's label
    was made by someone else: applying it adopts it (and pruning must never delete it)."""
    if identity(ref) in recorded:
        return False
    labels = (live.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(PART_OF_LABEL) != applyset_id)
