"""Staged server-side apply against the FakeApiServer TEST DOUBLE (real kubernetes client)."""

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
from fake_apiserver import FakeApiServer

from validator.apply import Action, ApplyReport, KubeClient, apply_resources


def _apply(kube: KubeClient, *bodies: dict[str, Any], **options: Any) -> ApplyReport:
    return apply_resources(
        as_resources(*bodies),
        environment="test",
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(**options),
    )


def test_apply_orders_crd_before_its_custom_resource_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    # Bundle order is the worst case: the custom resource comes first.
    report = _apply(kube, widget(), configmap("cfg"), crd(), namespace("shop"))

    assert not report.failed, report.to_json()
    assert {o.ref.kind: o.action for o in report.objects}["Widget"] is Action.CREATED
    patches = [path for method, path, query in fake_api.writes() if method == "PATCH"]
    crd_at = next(i for i, p in enumerate(patches) if "customresourcedefinitions" in p)
    namespace_at = next(i for i, p in enumerate(patches) if p == "/api/v1/namespaces/shop")
    widget_at = next(i for i, p in enumerate(patches) if "/widgets/" in p)
    assert crd_at < widget_at and namespace_at < widget_at
    assert fake_api.get("example.dev/v1", "Widget", "w1", "shop")["spec"] == {"size": 3}


def test_apply_waits_for_crd_established_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    fake_api.establish_delay = 0.5
    report = _apply(kube, crd(), namespace("shop"), widget())

    assert not report.failed, report.to_json()
    assert report.timings["apply"] >= 0.5  # it waited instead of failing the custom resource


def test_apply_fails_the_custom_resource_when_crd_never_established_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    fake_api.auto_establish = False
    report = _apply(kube, crd(), namespace("shop"), widget(), establish_timeout=0.3)

    assert report.failed
    assert any("not established" in error for error in report.errors)
    assert {o.ref.kind: o.action for o in report.objects}["Widget"] is Action.FAILED


def test_apply_second_run_changes_nothing_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    bodies = (namespace("shop"), configmap("cfg"), deployment(), sops_secret())
    first = _apply(kube, *bodies)
    versions = {
        kind: fake_api.get(api, kind, name, ns)["metadata"]["resourceVersion"]
        for api, kind, name, ns in [
            ("v1", "ConfigMap", "cfg", "shop"),
            ("apps/v1", "Deployment", "web", "shop"),
            ("v1", "Secret", "app-secrets", "shop"),
        ]
    }
    writes_before = len(fake_api.writes())

    second = _apply(kube, *bodies)

    assert {o.action for o in first.objects} == {Action.CREATED}
    assert {o.action for o in second.objects} == {Action.UNCHANGED}
    assert not second.drifted
    object_writes = [
        w for w in fake_api.writes()[writes_before:] if "gitops-validator-test" not in w[1]
    ]
    assert object_writes == []  # only dry-runs: nothing re-applied, no version bumped
    for kind, version in versions.items():
        api = "apps/v1" if kind == "Deployment" else "v1"
        name = {"ConfigMap": "cfg", "Deployment": "web", "Secret": "app-secrets"}[kind]
        assert fake_api.get(api, kind, name, "shop")["metadata"]["resourceVersion"] == version


def test_apply_uses_server_side_apply_with_our_field_manager_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("cfg"))

    patches = [q for method, _, q in fake_api.requests if method == "PATCH"]
    assert patches and all(q["fieldManager"] == "gitops-validator" for q in patches)
    assert all(q["force"] == "true" for q in patches)
    live = fake_api.get("v1", "ConfigMap", "cfg", "shop")
    assert [m["manager"] for m in live["metadata"]["managedFields"]] == ["gitops-validator"]


def test_apply_folds_secret_string_data_and_never_writes_last_applied_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    secret = sops_secret()
    secret["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": '{"stringData":{}}',
        "team": "shop",
    }
    report = _apply(kube, namespace("shop"), secret)

    assert not report.failed, report.to_json()
    live = fake_api.get("v1", "Secret", "app-secrets", "shop")
    assert "stringData" not in live
    decoded = {k: base64.b64decode(v).decode() for k, v in live["data"].items()}
    assert decoded == CANARY  # the live Secret holds the plaintext
    assert "sops" not in live
    assert live["metadata"]["annotations"] == {"team": "shop"}
    assert "stringData" not in str(live["metadata"]["managedFields"])


def test_apply_labels_members_and_writes_an_applyset_parent_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("cfg"), deployment())

    parent = fake_api.get("v1", "Secret", "gitops-validator-test", "default")
    set_id = parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
    assert set_id.startswith("applyset-") and set_id.endswith("-v1")
    annotations = parent["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/tooling"].startswith("gitops-validator/v")
    assert annotations["applyset.kubernetes.io/contains-group-kinds"] == (
        "ConfigMap,Deployment.apps,Namespace"
    )
    assert annotations["applyset.kubernetes.io/additional-namespaces"] == "shop"
    live = fake_api.get("apps/v1", "Deployment", "web", "shop")
    assert live["metadata"]["labels"]["applyset.kubernetes.io/part-of"] == set_id


def test_apply_dry_run_changes_nothing_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    report = _apply(kube, namespace("shop"), configmap("cfg"), dry_run=True)

    assert report.mode == "dry-run"
    assert {o.action for o in report.objects} == {Action.CREATED}
    assert fake_api.writes() == []
    assert fake_api.get("v1", "Namespace", "shop") is None
