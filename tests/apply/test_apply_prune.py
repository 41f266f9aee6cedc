"""Inventory-based pruning and its guards against the FakeApiServer TEST DOUBLE."""

from __future__ import annotations

from typing import Any

from apply_support import (
    as_resources,
    configmap,
    crd,
    deployment,
    fast,
    namespace,
    resolve_with_test_plaintext,
)
from fake_apiserver import FakeApiServer

from validator.apply import ApplyReport, KubeClient, apply_resources

PART_OF = "applyset.kubernetes.io/part-of"


def _apply(kube: KubeClient, *bodies: dict[str, Any], **options: Any) -> ApplyReport:
    return apply_resources(
        as_resources(*bodies),
        environment="test",
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(**options),
    )


def _exists(fake_api: FakeApiServer, kind: str, name: str) -> bool:
    api = {"Deployment": "apps/v1", "CustomResourceDefinition": "apiextensions.k8s.io/v1"}
    namespaced = kind not in ("Namespace", "CustomResourceDefinition")
    return fake_api.get(api.get(kind, "v1"), kind, name, "shop" if namespaced else "") is not None


def test_prune_deletes_objects_that_left_the_bundle_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"), deployment())

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert not report.failed, report.to_json()
    assert sorted(r.name for r in report.prune.deleted) == ["b", "web"]
    assert [r.kind for r in report.prune.deleted] == ["Deployment", "ConfigMap"]  # reverse order
    deletes = [q for method, _, q in fake_api.writes() if method == "DELETE"]
    assert deletes and all(q["propagationPolicy"] == "Background" for q in deletes)
    assert _exists(fake_api, "ConfigMap", "a") and not _exists(fake_api, "ConfigMap", "b")
    # the inventory now records only what is left, so nothing is pruned twice
    again = _apply(kube, namespace("shop"), configmap("a"), prune=True)
    assert again.prune.candidates == ()


def test_prune_without_the_flag_keeps_tracking_removed_objects_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"))
    _apply(kube, namespace("shop"), configmap("a"))  # no prune: b stays, still tracked

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert [r.name for r in report.prune.deleted] == ["b"]


def test_prune_an_empty_bundle_never_prunes_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"))

    report = _apply(kube, prune=True)

    assert report.prune.deleted == ()
    assert report.prune.refused and "empty" in report.prune.refused
    assert _exists(fake_api, "ConfigMap", "a") and _exists(fake_api, "ConfigMap", "b")
    later = _apply(kube, namespace("shop"), configmap("a"), prune=True)  # inventory was kept
    assert [r.name for r in later.prune.deleted] == ["b"]


def test_prune_over_the_deletion_budget_deletes_nothing_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"), configmap("c"))
    writes = len(fake_api.writes())

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True, max_deletions=1)

    assert report.failed and report.prune.aborted
    assert "budget of 1" in report.prune.aborted
    assert fake_api.writes()[writes:] == []  # aborted before changing anything at all
    assert _exists(fake_api, "ConfigMap", "b") and _exists(fake_api, "ConfigMap", "c")


def test_prune_never_deletes_protected_kinds_unless_configured_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), namespace("old"), crd(), configmap("a"))

    kept = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert kept.prune.deleted == ()
    assert {r.kind for r, _ in kept.prune.skipped} == {"Namespace", "CustomResourceDefinition"}
    assert fake_api.get("v1", "Namespace", "old") is not None
    allowed = frozenset({"Namespace", "CustomResourceDefinition"})
    pruned = _apply(
        kube, namespace("shop"), configmap("a"), prune=True, prune_protected_kinds=allowed
    )
    # reverse apply order: what was applied first (CRDs) is deleted last
    assert [r.kind for r in pruned.prune.deleted] == ["Namespace", "CustomResourceDefinition"]
    assert fake_api.get("v1", "Namespace", "old") is None


def test_prune_skips_objects_without_our_ownership_label_against_fake_api_server(
    fake_api: FakeApiServer, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"))
    live = fake_api.get("v1", "ConfigMap", "b", "shop")
    labels = {k: v for k, v in live["metadata"]["labels"].items() if k != PART_OF}
    fake_api.update_as(
        "another-team",
        "v1",
        "ConfigMap",
        "b",
        "shop",
        metadata__labels={**labels, PART_OF: "applyset-someone-else-v1"},
    )

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert report.prune.deleted == ()
    assert [why for _, why in report.prune.skipped] == [
        "no longer carries this ApplySet's ownership label"
    ]
    assert _exists(fake_api, "ConfigMap", "b")
