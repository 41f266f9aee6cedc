"""Inventory-based pruning and its guards against a real kube-apiserver."""

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
from cluster_harness import ClusterHarness

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


def _exists(cluster: ClusterHarness, kind: str, name: str) -> bool:
    api = {"Deployment": "apps/v1", "CustomResourceDefinition": "apiextensions.k8s.io/v1"}
    namespaced = kind not in ("Namespace", "CustomResourceDefinition")
    return cluster.get(api.get(kind, "v1"), kind, name, "shop" if namespaced else "") is not None


def _deleted(live: dict[str, Any] | None) -> bool:
    return live is None or bool(live["metadata"].get("deletionTimestamp"))


def test_prune_deletes_objects_that_left_the_bundle(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"), deployment())

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert not report.failed, report.to_json()
    assert sorted(r.name for r in report.prune.deleted) == ["b", "web"]
    assert [r.kind for r in report.prune.deleted] == ["Deployment", "ConfigMap"]  # reverse order
    deletes = [q for method, _, q in cluster.writes() if method == "DELETE"]
    assert deletes and all(q["propagationPolicy"] == "Background" for q in deletes)
    assert _exists(cluster, "ConfigMap", "a") and not _exists(cluster, "ConfigMap", "b")
    # the inventory now records only what is left, so nothing is pruned twice
    again = _apply(kube, namespace("shop"), configmap("a"), prune=True)
    assert again.prune.candidates == ()


def test_prune_without_the_flag_keeps_tracking_removed_objects(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"))
    _apply(kube, namespace("shop"), configmap("a"))  # no prune: b stays, still tracked

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert [r.name for r in report.prune.deleted] == ["b"]


def test_prune_an_empty_bundle_never_prunes(cluster: ClusterHarness, kube: KubeClient) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"))

    report = _apply(kube, prune=True)

    assert report.prune.deleted == ()
    assert report.prune.refused and "empty" in report.prune.refused
    assert _exists(cluster, "ConfigMap", "a") and _exists(cluster, "ConfigMap", "b")
    later = _apply(kube, namespace("shop"), configmap("a"), prune=True)  # inventory was kept
    assert [r.name for r in later.prune.deleted] == ["b"]


def test_prune_over_the_deletion_budget_deletes_nothing(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"), configmap("c"))
    writes = len(cluster.writes())

    report = _apply(kube, namespace("shop"), configmap("a"), prune=True, max_deletions=1)

    assert report.failed and report.prune.aborted
    assert "budget of 1" in report.prune.aborted
    assert cluster.writes()[writes:] == []  # aborted before changing anything at all
    assert _exists(cluster, "ConfigMap", "b") and _exists(cluster, "ConfigMap", "c")


def test_prune_never_deletes_protected_kinds_unless_configured(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), namespace("old"), crd(), configmap("a"))
    crd_name = crd()["metadata"]["name"]

    kept = _apply(kube, namespace("shop"), configmap("a"), prune=True)

    assert kept.prune.deleted == ()
    assert {r.kind for r, _ in kept.prune.skipped} == {"Namespace", "CustomResourceDefinition"}
    assert cluster.get("v1", "Namespace", "old") is not None
    allowed = frozenset({"Namespace", "CustomResourceDefinition"})
    pruned = _apply(
        kube, namespace("shop"), configmap("a"), prune=True, prune_protected_kinds=allowed
    )
    # reverse apply order: what was applied first (CRDs) is deleted last
    assert [r.kind for r in pruned.prune.deleted] == ["Namespace", "CustomResourceDefinition"]
    # Deleted means gone or terminating: the CRD's own finalizer runs a moment, and no
    # namespace controller runs here, so the deleted Namespace stays Terminating.
    assert _deleted(cluster.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd_name))
    assert _deleted(cluster.get("v1", "Namespace", "old"))


def test_prune_skips_objects_without_our_ownership_label(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"))
    live = cluster.get("v1", "ConfigMap", "b", "shop")
    labels = {k: v for k, v in live["metadata"]["labels"].items() if k != PART_OF}
    cluster.update_as(
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
    assert _exists(cluster, "ConfigMap", "b")


def test_prune_never_deletes_an_object_it_did_not_create(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    cluster.create_namespace("shop")
    cluster.create(configmap("theirs"))  # made by another user, then taken into the bundle
    first = _apply(kube, configmap("a"), configmap("theirs"))
    assert not first.failed, first.to_json()
    # Same namespace, our ownership label forged, never in our inventory: not ours either.
    stranger = configmap("stranger")
    stranger["metadata"]["labels"] = {PART_OF: _parent_id(cluster)}
    cluster.create(stranger)

    report = _apply(kube, configmap("a"), prune=True)

    assert report.prune.deleted == ()
    assert [(r.name, why) for r, why in report.prune.skipped] == [
        ("theirs", "it existed before gitops-validator first applied it, so it is never pruned")
    ]
    assert _exists(cluster, "ConfigMap", "theirs") and _exists(cluster, "ConfigMap", "stranger")
    deletes = [path for method, path, _ in cluster.writes() if method == "DELETE"]
    assert deletes == []
    # and it is no longer tracked: a later prune does not consider it at all
    assert _apply(kube, configmap("a"), prune=True).prune.candidates == ()


def test_prune_deletion_budget_counts_only_what_it_would_delete(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), configmap("a"), configmap("b"), configmap("c"))

    within = _apply(kube, namespace("shop"), configmap("a"), prune=True, max_deletions=2)

    assert not within.failed, within.to_json()
    assert sorted(r.name for r in within.prune.deleted) == ["b", "c"]
    assert not _exists(cluster, "ConfigMap", "b") and not _exists(cluster, "ConfigMap", "c")


def _parent_id(cluster: ClusterHarness) -> str:
    parent = cluster.get("v1", "Secret", "gitops-validator-test", "default")
    return str(parent["metadata"]["labels"]["applyset.kubernetes.io/id"])


def test_prune_deletes_a_namespace_after_its_contents(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), namespace("old"), configmap("x", ns="old"), configmap("a"))
    allowed = frozenset({"Namespace"})

    report = _apply(
        kube, namespace("shop"), configmap("a"), prune=True, prune_protected_kinds=allowed
    )

    assert not report.failed, report.to_json()
    deletes = [path for method, path, _ in cluster.writes() if method == "DELETE"]
    # Deleting the Namespace first would leave its contents to the namespace controller,
    # outside the report and the inventory.
    assert deletes == ["/api/v1/namespaces/old/configmaps/x", "/api/v1/namespaces/old"]
    assert cluster.get("v1", "ConfigMap", "x", "old") is None
    assert _deleted(cluster.get("v1", "Namespace", "old"))
