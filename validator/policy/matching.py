"""matchConstraints / matchResources semantics: resource rules by plural, label selectors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from validator.policy.documents import MatchResources, Rule

# (group, kind) -> (plural resource, namespaced) for built-in kinds; CRDs extend it at runtime.
_CORE = {
    "Pod": ("pods", True), "Service": ("services", True), "ConfigMap": ("configmaps", True),
    "Secret": ("secrets", True), "ServiceAccount": ("serviceaccounts", True),
    "PersistentVolumeClaim": ("persistentvolumeclaims", True), "Endpoints": ("endpoints", True),
    "LimitRange": ("limitranges", True), "ResourceQuota": ("resourcequotas", True),
    "ReplicationController": ("replicationcontrollers", True), "Event": ("events", True),
    "PodTemplate": ("podtemplates", True), "Namespace": ("namespaces", False),
    "Node": ("nodes", False), "PersistentVolume": ("persistentvolumes", False),
}  # fmt: skip
_GROUPED = {
    "apps": {"Deployment": "deployments", "StatefulSet": "statefulsets",
             "DaemonSet": "daemonsets", "ReplicaSet": "replicasets",
             "ControllerRevision": "controllerrevisions"},
    "batch": {"Job": "jobs", "CronJob": "cronjobs"},
    "autoscaling": {"HorizontalPodAutoscaler": "horizontalpodautoscalers"},
    "policy": {"PodDisruptionBudget": "poddisruptionbudgets"},
    "networking.k8s.io": {"Ingress": "ingresses", "NetworkPolicy": "networkpolicies",
                          "IngressClass": "-ingressclasses"},
    "rbac.authorization.k8s.io": {"Role": "roles", "RoleBinding": "rolebindings",
                                  "ClusterRole": "-clusterroles",
                                  "ClusterRoleBinding": "-clusterrolebindings"},
    "storage.k8s.io": {"StorageClass": "-storageclasses", "CSIDriver": "-csidrivers"},
    "scheduling.k8s.io": {"PriorityClass": "-priorityclasses"},
    "apiextensions.k8s.io": {"CustomResourceDefinition": "-customresourcedefinitions"},
    "admissionregistration.k8s.io": {
        "ValidatingWebhookConfiguration": "-validatingwebhookconfigurations",
        "MutatingWebhookConfiguration": "-mutatingwebhookconfigurations",
        "ValidatingAdmissionPolicy": "-validatingadmissionpolicies",
        "ValidatingAdmissionPolicyBinding": "-validatingadmissionpolicybindings"},
    "discovery.k8s.io": {"EndpointSlice": "endpointslices"},
    "coordination.k8s.io": {"Lease": "leases"},
}  # fmt: skip

BUILTIN_RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("", kind): entry for kind, entry in _CORE.items()
} | {
    (group, kind): (plural.lstrip("-"), not plural.startswith("-"))
    for group, kinds in _GROUPED.items()
    for kind, plural in kinds.items()
}


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def resource_table(crds: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], tuple[str, bool]]:
    """The built-in table plus the CustomResourceDefinitions among the environment's objects."""
    table = dict(BUILTIN_RESOURCES)
    for crd in crds:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        if spec.get("group") and names.get("kind") and names.get("plural"):
            namespaced = spec.get("scope", "Namespaced") == "Namespaced"
            table[(str(spec["group"]), str(names["kind"]))] = (str(names["plural"]), namespaced)
    return table


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What the API server would know about an admission request for one object."""

    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    name: str
    namespace: str | None
    operation: str


def request_info(
    body: Mapping[str, Any],
    table: Mapping[tuple[str, str], tuple[str, bool]],
    operation: str,
) -> RequestInfo:
    group, version = split_api_version(str(body.get("apiVersion") or ""))
    kind = str(body.get("kind") or "")
    # Unknown kinds: the conventional lower-case plural, scope guessed from metadata.namespace.
    raw_metadata = body.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
    guess = (kind.lower() + "s", bool(metadata.get("namespace")))
    resource, namespaced = table.get((group, kind), guess)
    return RequestInfo(
        group=group,
        version=version,
        kind=kind,
        resource=resource,
        namespaced=namespaced,
        name=str(metadata.get("name") or ""),
        namespace=metadata.get("namespace") if namespaced else None,
        operation=operation,
    )


def _resource_matches(patterns: Iterable[str], resource: str) -> bool:
    # Offline there are no subresource requests: only "*", "*/*" and the plural itself match.
    return any(p in ("*", "*/*", resource) for p in patterns)


def rule_matches(rule: Rule, request: RequestInfo) -> bool:
    scope_ok = rule.scope == "*" or (rule.scope == "Namespaced") == request.namespaced
    return (
        scope_ok
        and ("*" in rule.api_groups or request.group in rule.api_groups)
        and ("*" in rule.api_versions or request.version in rule.api_versions)
        and ("*" in rule.operations or request.operation in rule.operations)
        and _resource_matches(rule.resources, request.resource)
        and (not rule.resource_names or request.name in rule.resource_names)
    )


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> bool:
    """A metav1.LabelSelector; null or {} selects everything."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    return all(_expression_matches(e, labels) for e in selector.get("matchExpressions") or [])


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key, operator = str(expression.get("key")), expression.get("operator")
    values = [str(v) for v in expression.get("values") or []]
    present = key in labels
    if operator == "In":
        return present and str(labels[key]) in values
    if operator == "NotIn":
        return not present or str(labels[key]) not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def labels_of(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not body:
        return {}
    return (body.get("metadata") or {}).get("labels") or {}


def resources_match(
    match: MatchResources,
    request: RequestInfo,
    body: Mapping[str, Any],
    old_body: Mapping[str, Any] | None,
    namespace_labels: Mapping[str, Any] | None,
    require_rules: bool = True,
) -> bool:
    rules_apply = match.resource_rules or require_rules
    if rules_apply and not any(rule_matches(r, request) for r in match.resource_rules):
        return False
    if any(rule_matches(r, request) for r in match.exclude_rules):
        return False
    if match.object_selector and not (
        selector_matches(match.object_selector, labels_of(body))
        or (old_body is not None and selector_matches(match.object_selector, labels_of(old_body)))
    ):
        return False
    if match.namespace_selector:
        if request.kind == "Namespace" and request.group == "":
            return selector_matches(match.namespace_selector, labels_of(body))
        if request.namespaced:
            return selector_matches(match.namespace_selector, namespace_labels or {})
    return True
