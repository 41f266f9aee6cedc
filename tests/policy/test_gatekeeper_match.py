"""Gatekeeper's match semantics (pkg/mutation/match), parameter schemas and the review input."""

from __future__ import annotations

from typing import Any

import pytest

from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.constraint import (
    Target,
    matches,
    parse_constraint,
    wildcard,
)
from validator.policy.gatekeeper.rego_driver import admission_review, inventory
from validator.policy.gatekeeper.template import parse_template


def _obj(kind: str = "Pod", namespace: str | None = "shop", **meta: Any) -> dict[str, Any]:
    api = "apps/v1" if kind == "Deployment" else "v1"
    metadata: dict[str, Any] = {"name": meta.pop("name", "x"), **meta}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


def _matches(match: dict[str, Any], body: dict[str, Any], **kw: Any) -> bool:
    return matches(match, Target(body, kw.pop("labels", {})), **kw)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("kube-*", "kube-system", True),
        ("*-system", "kube-system", True),
        ("*ube-sys*", "kube-system", True),
        ("kube", "kube-system", False),
        ("kube-system", "kube-system", True),
    ],
)
def test_wildcards(pattern: str, value: str, expected: bool) -> None:
    assert wildcard(pattern, value) is expected


def test_kinds_scope_and_namespaces() -> None:
    deployment, namespace = _obj("Deployment"), _obj("Namespace", None, name="shop")
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "r"}}  # fmt: skip
    apps = {"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}]}
    assert _matches(apps, deployment) and not _matches(apps, _obj("Pod"))
    assert _matches({"kinds": [{"apiGroups": ["*"], "kinds": []}]}, cluster_role)
    assert _matches({"scope": "Cluster"}, namespace) and _matches(
        {"scope": "Cluster"}, cluster_role
    )
    assert not _matches({"scope": "Cluster"}, deployment)
    assert _matches({"scope": "Namespaced"}, deployment)
    assert not _matches({"scope": "Namespaced"}, namespace)
    # namespaces / excludedNamespaces: a Namespace by its own name; other cluster objects pass
    assert _matches({"namespaces": ["sh*"]}, deployment) and _matches(
        {"namespaces": ["shop"]}, namespace
    )
    assert not _matches({"namespaces": ["prod"]}, deployment)
    assert _matches({"namespaces": ["prod"]}, cluster_role)
    assert not _matches({"excludedNamespaces": ["shop"]}, namespace)
    assert _matches({"excludedNamespaces": ["shop"]}, cluster_role)
    assert not _matches({}, deployment, excluded=["sho*"])


def test_label_namespace_selectors_and_name() -> None:
    pod = _obj(labels={"app": "web"}, name="web-1")
    assert _matches({"labelSelector": {"matchLabels": {"app": "web"}}}, pod)
    assert not _matches(
        {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}}, pod
    )
    selector = {"namespaceSelector": {"matchLabels": {"tier": "prod"}}}
    assert _matches(selector, pod, labels={"tier": "prod"})
    assert not _matches(selector, pod, labels={"tier": "dev"})
    with pytest.raises(PolicyError, match="unable to match constraints"):
        matches(selector, Target(pod, None))
    assert _matches({"name": "web-*"}, pod) and not _matches({"name": "api"}, pod)
    generated = _obj(name="", generateName="web-")
    assert _matches({"name": "web-*"}, generated)


TEMPLATE = {
    "apiVersion": "templates.gatekeeper.sh/v1",
    "kind": "ConstraintTemplate",
    "metadata": {"name": "k8sreplicas"},
    "spec": {
        "crd": {"spec": {"names": {"kind": "K8sReplicas"}, "validation": {"openAPIV3Schema": {
            "type": "object",
            "properties": {"min": {"type": "integer", "default": 2},
                           "ranges": {"type": "array", "items": {"type": "object", "properties": {
                               "max": {"type": "integer", "default": 10}}}}},
        }}}},
        "targets": [{"target": "admission.k8s.gatekeeper.sh",
                     "rego": "package k8sreplicas\nviolation[{\"msg\": \"x\"}] { false }\n"}],
    },
}  # fmt: skip


def _constraint(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sReplicas",
            "metadata": {"name": "c"}, "spec": spec}  # fmt: skip


def test_parameters_get_defaults_and_are_validated() -> None:
    template = parse_template(TEMPLATE, "t.yaml")
    constraint = parse_constraint(_constraint(parameters={"ranges": [{}]}), template, "c.yaml")
    assert constraint.parameters == {"ranges": [{"max": 10}], "min": 2}
    assert constraint.action == "deny"
    with pytest.raises(PolicyError, match=r"spec.parameters: min: \"two\" is not of type"):
        parse_constraint(_constraint(parameters={"min": "two"}), template, "c.yaml")
    with pytest.raises(PolicyError, match="enforcementAction"):
        parse_constraint(_constraint(enforcementAction="block"), template, "c.yaml")
    scoped = _constraint(enforcementAction="scoped", scopedEnforcementActions=[
        {"action": "warn", "enforcementPoints": [{"name": "gator.gatekeeper.sh"}]}])  # fmt: skip
    assert parse_constraint(scoped, template, "c.yaml").action == "warn"


def test_template_name_must_be_the_kind_lowercased() -> None:
    wrong = {**TEMPLATE, "metadata": {"name": "replicas"}}
    with pytest.raises(PolicyError, match="must be 'k8sreplicas'"):
        parse_template(wrong, "t.yaml")


def test_review_and_inventory_shapes() -> None:
    deployment = _obj("Deployment")
    review = admission_review(deployment, None, "")
    assert review["kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert review["namespace"] == "shop" and review["oldObject"] is None
    cluster = admission_review(_obj("Namespace", None), None, "CREATE")
    assert "namespace" not in cluster and cluster["operation"] == "CREATE"
    data = inventory([deployment, _obj("Namespace", None, name="shop")])
    assert data["namespace"]["shop"]["apps/v1"]["Deployment"]["x"] is deployment
    assert list(data["cluster"]["v1"]["Namespace"]) == ["shop"]
