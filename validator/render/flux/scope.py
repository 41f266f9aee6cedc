"""Helm installs a chart's namespaced objects into the release namespace: give the objects
that have none that namespace, as the cluster will, so namespace checks see the truth."""

from __future__ import annotations

from collections.abc import Iterable

from validator.render.document import Document

# Built-in cluster-scoped kinds (by kind name; the groups that define them do not overlap).
_CLUSTER_SCOPED = frozenset(
    (
        "Namespace", "Node", "PersistentVolume", "ComponentStatus", "ClusterRole",
        "ClusterRoleBinding", "CustomResourceDefinition", "APIService",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "StorageClass", "CSIDriver",
        "CSINode", "VolumeAttachment", "VolumeAttributesClass", "PriorityClass", "RuntimeClass",
        "IngressClass", "IPAddress", "ServiceCIDR", "CertificateSigningRequest",
        "ClusterTrustBundle", "FlowSchema", "PriorityLevelConfiguration", "PodSecurityPolicy",
        "DeviceClass", "ResourceSlice",
    )
)  # fmt: skip


def with_release_namespace(documents: Iterable[Document], namespace: str) -> list[Document]:
    documents = list(documents)
    cluster_kinds = _CLUSTER_SCOPED | {
        str((d.body.get("spec") or {}).get("names", {}).get("kind"))
        for d in documents
        if d.body.get("kind") == "CustomResourceDefinition"
        and (d.body.get("spec") or {}).get("scope") == "Cluster"
    }
    result = []
    for document in documents:
        body, kind = document.body, str(document.body.get("kind") or "")
        meta = body.get("metadata")
        # Custom kinds named Cluster* (ClusterIssuer, ClusterPolicy, ...) are cluster-wide.
        if kind in cluster_kinds or kind.startswith("Cluster") or not isinstance(meta, dict):
            result.append(document)
        elif not meta.get("namespace"):
            body = {**body, "metadata": {**meta, "namespace": namespace}}
            result.append(Document(body, document.origin, document.unit))
        else:
            result.append(document)
    return result
