"""Which built-in kinds are cluster-scoped.

The bundled JSON schemas are OpenAPI *definitions* and do not say whether a kind is namespaced
(that lives in the API discovery documents), so built-ins use this table; custom resources take
`spec.scope` from their CustomResourceDefinition. Every other known built-in kind is namespaced.
"""

from __future__ import annotations

CLUSTER_SCOPED_KINDS: frozenset[tuple[str, str]] = frozenset(
    (group, kind)
    for group, kinds in {
        "": "Namespace Node PersistentVolume ComponentStatus",
        "rbac.authorization.k8s.io": "ClusterRole ClusterRoleBinding",
        "apiextensions.k8s.io": "CustomResourceDefinition",
        "apiregistration.k8s.io": "APIService",
        "admissionregistration.k8s.io": (
            "MutatingWebhookConfiguration ValidatingWebhookConfiguration "
            "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding "
            "MutatingAdmissionPolicy MutatingAdmissionPolicyBinding"
        ),
        "storage.k8s.io": "StorageClass CSIDriver CSINode VolumeAttachment VolumeAttributesClass",
        "scheduling.k8s.io": "PriorityClass",
        "node.k8s.io": "RuntimeClass",
        "networking.k8s.io": "IngressClass IPAddress ServiceCIDR",
        "certificates.k8s.io": "CertificateSigningRequest ClusterTrustBundle",
        "flowcontrol.apiserver.k8s.io": "FlowSchema PriorityLevelConfiguration",
        "policy": "PodSecurityPolicy",
        "authentication.k8s.io": "TokenReview SelfSubjectReview",
        "authorization.k8s.io": (
            "SubjectAccessReview SelfSubjectAccessReview SelfSubjectRulesReview"
        ),
        "resource.k8s.io": "DeviceClass ResourceSlice DeviceTaintRule",
        "internal.apiserver.k8s.io": "StorageVersion",
        "storagemigration.k8s.io": "StorageVersionMigration",
        "extensions": "PodSecurityPolicy",
    }.items()
    for kind in kinds.split()
)


def split_api_version(api_version: str) -> tuple[str, str]:
    """("apps", "v1") for "apps/v1"; ("", "v1") for the core group."""
    group, _, version = api_version.rpartition("/")
    return group, version


def is_cluster_scoped_builtin(group: str, kind: str) -> bool:
    return (group, kind) in CLUSTER_SCOPED_KINDS
