"""Deprecated and removed built-in apiVersions, after the Kubernetes "Deprecated API Migration
Guide" (kubernetes.io/docs/reference/using-api/deprecation-guide/) and the release notes.

Each entry: the version that deprecated the apiVersion of a kind, the version that stopped
serving it (None: still served), and what to use instead.
"""

from __future__ import annotations

from dataclasses import dataclass

Minor = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Deprecation:
    deprecated_in: Minor
    removed_in: Minor | None
    replacement: str | None  # apiVersion to migrate to; None when the kind itself went away


def _entries() -> dict[tuple[str, str], Deprecation]:
    table: dict[tuple[str, str], Deprecation] = {}

    def add(
        api_version: str,
        kinds: str,
        deprecated: Minor,
        removed: Minor | None,
        replacement: str | None,
    ) -> None:
        for kind in kinds.split():
            table[(api_version, kind)] = Deprecation(deprecated, removed, replacement)

    # v1.16
    add("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", (1, 9), (1, 16), "apps/v1")
    add("extensions/v1beta1", "NetworkPolicy", (1, 9), (1, 16), "networking.k8s.io/v1")
    add("extensions/v1beta1", "PodSecurityPolicy", (1, 10), (1, 16), "policy/v1beta1")
    add("apps/v1beta1", "Deployment StatefulSet ReplicaSet", (1, 9), (1, 16), "apps/v1")
    add("apps/v1beta2", "Deployment StatefulSet DaemonSet ReplicaSet", (1, 9), (1, 16), "apps/v1")
    # v1.22
    add("extensions/v1beta1", "Ingress", (1, 14), (1, 22), "networking.k8s.io/v1")
    add(
        "networking.k8s.io/v1beta1",
        "Ingress IngressClass",
        (1, 19),
        (1, 22),
        "networking.k8s.io/v1",
    )
    add(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
        (1, 16),
        (1, 22),
        "admissionregistration.k8s.io/v1",
    )
    add(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        (1, 16),
        (1, 22),
        "apiextensions.k8s.io/v1",
    )
    add(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        (1, 19),
        (1, 22),
        "apiregistration.k8s.io/v1",
    )
    add(
        "authentication.k8s.io/v1beta1", "TokenReview", (1, 19), (1, 22), "authentication.k8s.io/v1"
    )
    add(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview LocalSubjectAccessReview SelfSubjectAccessReview",
        (1, 19),
        (1, 22),
        "authorization.k8s.io/v1",
    )
    add(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        (1, 19),
        (1, 22),
        "certificates.k8s.io/v1",
    )
    add("coordination.k8s.io/v1beta1", "Lease", (1, 19), (1, 22), "coordination.k8s.io/v1")
    add(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole ClusterRoleBinding Role RoleBinding",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    )
    add("scheduling.k8s.io/v1beta1", "PriorityClass", (1, 14), (1, 22), "scheduling.k8s.io/v1")
    add(
        "storage.k8s.io/v1beta1",
        "CSIDriver CSINode StorageClass VolumeAttachment",
        (1, 19),
        (1, 22),
        "storage.k8s.io/v1",
    )
    # v1.25
    add("batch/v1beta1", "CronJob", (1, 21), (1, 25), "batch/v1")
    add("discovery.k8s.io/v1beta1", "EndpointSlice", (1, 21), (1, 25), "discovery.k8s.io/v1")
    add("events.k8s.io/v1beta1", "Event", (1, 22), (1, 25), "events.k8s.io/v1")
    add("autoscaling/v2beta1", "HorizontalPodAutoscaler", (1, 22), (1, 25), "autoscaling/v2")
    add("policy/v1beta1", "PodDisruptionBudget", (1, 21), (1, 25), "policy/v1")
    add("policy/v1beta1", "PodSecurityPolicy", (1, 21), (1, 25), None)
    add("node.k8s.io/v1beta1", "RuntimeClass", (1, 22), (1, 25), "node.k8s.io/v1")
    # v1.26
    add(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema PriorityLevelConfiguration",
        (1, 23),
        (1, 26),
        "flowcontrol.apiserver.k8s.io/v1",
    )
    add("autoscaling/v2beta2", "HorizontalPodAutoscaler", (1, 23), (1, 26), "autoscaling/v2")
    # v1.27
    add("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 24), (1, 27), "storage.k8s.io/v1")
    # v1.29
    add(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema PriorityLevelConfiguration",
        (1, 26),
        (1, 29),
        "flowcontrol.apiserver.k8s.io/v1",
    )
    # v1.32
    add(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema PriorityLevelConfiguration",
        (1, 29),
        (1, 32),
        "flowcontrol.apiserver.k8s.io/v1",
    )
    # Deprecated, still served.
    add("v1", "Endpoints", (1, 33), None, "discovery.k8s.io/v1 EndpointSlice")
    return table


DEPRECATIONS = _entries()


def parse_minor(version: str) -> Minor | None:
    head = version.strip().lstrip("v").split(".")
    try:
        return int(head[0]), int(head[1])
    except (IndexError, ValueError):
        return None


def lookup(api_version: str, kind: str, cluster_version: str) -> Deprecation | None:
    """The deprecation that applies to `api_version`/`kind` on `cluster_version`, if any."""
    entry = DEPRECATIONS.get((api_version, kind))
    if entry is None:
        return None
    minor = parse_minor(cluster_version)
    return None if minor is None or minor < entry.deprecated_in else entry


def describe(api_version: str, kind: str, entry: Deprecation, cluster_version: str) -> str:
    deprecated = "v{}.{}".format(*entry.deprecated_in)
    instead = f"; use {entry.replacement}" if entry.replacement else "; the kind has no successor"
    minor = parse_minor(cluster_version)
    if entry.removed_in is not None and minor is not None and minor >= entry.removed_in:
        removed = "v{}.{}".format(*entry.removed_in)
        return (
            f"{api_version} {kind} is not served by Kubernetes {cluster_version}: "
            f"deprecated in {deprecated}, removed in {removed}{instead}"
        )
    until = " and will be removed in v{}.{}".format(*entry.removed_in) if entry.removed_in else ""
    return f"{api_version} {kind} is deprecated since {deprecated}{until}{instead}"


def is_removed(entry: Deprecation, cluster_version: str) -> bool:
    minor = parse_minor(cluster_version)
    return entry.removed_in is not None and minor is not None and minor >= entry.removed_in
