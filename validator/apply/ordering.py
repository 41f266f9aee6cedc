"""Apply order and stages (Flux `ReconcileOrder` / `ApplyAllStaged`, apply-anchors §1.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from validator.model import ResourceRef

FIRST = (
    "CustomResourceDefinition",
    "Namespace",
    "ClusterRole",
    "ClusterClass",
    "RuntimeClass",
    "PriorityClass",
    "StorageClass",
    "VolumeSnapshotClass",
    "IngressClass",
    "GatewayClass",
    "ClusterRoleBinding",
    "ResourceQuota",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "LimitRange",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
# Applied and waited for first: later objects cannot even be dry-run until these exist.
DEFINITION_KINDS = frozenset({"CustomResourceDefinition", "Namespace", "ClusterRole"})

T = TypeVar("T")


def sort_key(ref: ResourceRef) -> tuple[int, str, str, str, str]:
    if ref.kind in FIRST:
        rank = FIRST.index(ref.kind)
    elif ref.kind in LAST:
        rank = len(FIRST) + 1 + LAST.index(ref.kind)
    else:
        rank = len(FIRST)  # unknown kinds, custom resources included, sort in the middle
    group = ref.api_version.rpartition("/")[0]
    return (rank, group, ref.kind, ref.namespace or "", ref.name)


def in_delete_order(refs: Sequence[ResourceRef]) -> list[ResourceRef]:
    """Reverse apply order: webhooks first, custom resources before CRDs, Namespaces last."""
    return sorted(refs, key=sort_key, reverse=True)


def stage_of(ref: ResourceRef) -> int:
    """0 = definitions (CRDs, Namespaces, ClusterRoles), 1 = *Class kinds, 2 = the rest."""
    if ref.kind in DEFINITION_KINDS:
        return 0
    return 1 if ref.kind.endswith("Class") else 2


CRD = "CustomResourceDefinition"


def served_kind(crd: dict[str, Any]) -> tuple[str, str]:
    """The apiVersion and kind of the custom resources a CRD body defines (first version)."""
    spec = crd.get("spec") or {}
    versions = spec.get("versions") or [{}]
    return (
        f"{spec.get('group')}/{versions[0].get('name')}",
        str(spec.get("names", {}).get("kind")),
    )
