"""Staged server-side apply against a real kube-apiserver (real kubernetes client)."""

from __future__ import annotations

import base64
from typing import Any

from apply_support import (
    CANARY,
    as_resources,
    configmap,
    crd,
    deployment,
    fast,
    namespace,
    resolve_with_test_plaintext,
    sops_secret,
    widget,
)
from cluster_harness import ClusterHarness

from validator.apply import Action, ApplyReport, KubeClient, apply_resources


def _apply(kube: KubeClient, *bodies: dict[str, Any], **options: Any) -> ApplyReport:
    return apply_resources(
        as_resources(*bodies),
        environment="test",
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(**options),
    )


def test_apply_orders_crd_before_its_custom_resource(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    # Bundle order is the worst case: the custom resource comes first.
    report = _apply(kube, widget(), configmap("cfg"), crd(), namespace("shop"))

    assert not report.failed, report.to_json()
    assert {o.ref.kind: o.action for o in report.objects}["Widget"] is Action.CREATED
    patches = [path for method, path, query in cluster.writes() if method == "PATCH"]
    crd_at = next(i for i, p in enumerate(patches) if "customresourcedefinitions" in p)
    namespace_at = next(i for i, p in enumerate(patches) if p == "/api/v1/namespaces/shop")
    widget_at = next(i for i, p in enumerate(patches) if "/widgets/" in p)
    assert crd_at < widget_at and namespace_at < widget_at
    assert cluster.get("example.dev/v1", "Widget", "w1", "shop")["spec"] == {"size": 3}


def test_apply_waits_for_crd_established(cluster: ClusterHarness, kube: KubeClient) -> None:
    report = _apply(kube, crd(), namespace("shop"), widget())

    assert not report.failed, report.to_json()
    requests = [(method, path) for method, path, query in cluster.requests()]
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.dev"
    applied_crd = requests.index(("PATCH", crd_path))
    widget_at = next(i for i, (m, p) in enumerate(requests) if m == "PATCH" and "/widgets/" in p)
    # between the two it read the CRD until Established (the server 404s the kind before)
    assert ("GET", crd_path) in requests[applied_crd:widget_at]


def test_apply_fails_the_custom_resource_when_crd_never_established(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    # Another CRD of the group already holds the kind Widget: the bundle's CRD is never
    # accepted (NamesAccepted=False, KindConflict), so it is never Established.
    holder = crd(plural="widgetholders")
    holder["spec"]["versions"][0]["name"] = "v2"
    cluster.create(holder)
    report = _apply(kube, crd(), namespace("shop"), widget(), establish_timeout=2.0)

    assert report.failed
    assert any("not established" in error for error in report.errors), report.errors
    assert {o.ref.kind: o.action for o in report.objects}["Widget"] is Action.FAILED


def test_apply_second_run_changes_nothing(cluster: ClusterHarness, kube: KubeClient) -> None:
    bodies = (namespace("shop"), configmap("cfg"), deployment(), sops_secret())
    first = _apply(kube, *bodies)
    versions = {
        kind: cluster.get(api, kind, name, ns)["metadata"]["resourceVersion"]
        for api, kind, name, ns in [
            ("v1", "ConfigMap", "cfg", "shop"),
            ("apps/v1", "Deployment", "web", "shop"),
            ("v1", "Secret", "app-secrets", "shop"),
        ]
    }
    writes_before = len(cluster.writes())

    second = _apply(kube, *bodies)

    assert {o.action for o in first.objects} == {Action.CREATED}
    assert {o.action for o in second.objects} == {Action.UNCHANGED}
    assert not second.drifted
    object_writes = [
        w for w in cluster.writes()[writes_before:] if "gitops-validator-test" not in w[1]
    ]
    assert object_writes == []  # only dry-runs: nothing re-applied, no version bumped
    for kind, version in versions.items():
        api = "apps/v1" if kind == "Deployment" else "v1"
        name = {"ConfigMap": "cfg", "Deployment": "web", "Secret": "app-secrets"}[kind]
        assert cluster.get(api, kind, name, "shop")["metadata"]["resourceVersion"] == version


def test_apply_uses_server_side_apply_with_our_field_manager(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("cfg"))

    patches = [q for method, _, q in cluster.requests() if method == "PATCH"]
    assert patches and all(q["fieldManager"] == "gitops-validator" for q in patches)
    assert all(q["force"] == "true" for q in patches)
    live = cluster.get("v1", "ConfigMap", "cfg", "shop")
    assert [m["manager"] for m in live["metadata"]["managedFields"]] == ["gitops-validator"]


def test_apply_folds_secret_string_data_and_never_writes_last_applied(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    secret = sops_secret()
    secret["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": '{"stringData":{}}',
        "team": "shop",
    }
    report = _apply(kube, namespace("shop"), secret)

    assert not report.failed, report.to_json()
    live = cluster.get("v1", "Secret", "app-secrets", "shop")
    assert "stringData" not in live
    decoded = {k: base64.b64decode(v).decode() for k, v in live["data"].items()}
    assert decoded == CANARY  # the live Secret holds the plaintext
    assert "sops" not in live
    assert live["metadata"]["annotations"] == {"team": "shop"}
    assert "stringData" not in str(live["metadata"]["managedFields"])


def test_apply_labels_members_and_writes_an_applyset_parent(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("cfg"), deployment())

    parent = cluster.get("v1", "Secret", "gitops-validator-test", "default")
    set_id = parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
    assert set_id.startswith("applyset-") and set_id.endswith("-v1")
    annotations = parent["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/tooling"].startswith("gitops-validator/v")
    assert annotations["applyset.kubernetes.io/contains-group-kinds"] == (
        "ConfigMap,Deployment.apps,Namespace"
    )
    assert annotations["applyset.kubernetes.io/additional-namespaces"] == "shop"
    live = cluster.get("apps/v1", "Deployment", "web", "shop")
    assert live["metadata"]["labels"]["applyset.kubernetes.io/part-of"] == set_id


def test_apply_dry_run_changes_nothing(cluster: ClusterHarness, kube: KubeClient) -> None:
    report = _apply(kube, namespace("shop"), configmap("cfg"), dry_run=True)

    assert report.mode == "dry-run"
    assert {o.action for o in report.objects} == {Action.CREATED}
    assert cluster.writes() == []
    assert cluster.get("v1", "Namespace", "shop") is None


def test_dry_run_plans_a_crd_its_custom_resource_and_a_new_namespace_without_writing(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    # The server cannot dry-run a custom resource whose CRD does not exist, nor an object in a
    # Namespace that does not exist: both are planned as created, nothing is written.
    report = _apply(kube, crd(), namespace("shop"), widget(), configmap("cfg"), dry_run=True)

    assert not report.failed, report.to_json()
    assert {o.ref.kind: o.action for o in report.objects} == {
        "CustomResourceDefinition": Action.CREATED,
        "Namespace": Action.CREATED,
        "Widget": Action.CREATED,
        "ConfigMap": Action.CREATED,
    }
    assert cluster.writes() == []
    dry_runs = [q for method, _, q in cluster.requests() if method == "PATCH"]
    assert dry_runs and all(q.get("dryRun") == "All" for q in dry_runs)
