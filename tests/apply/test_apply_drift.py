"""Drift detection and correction against a real kube-apiserver (real kubernetes client)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from apply_support import (
    as_resources,
    configmap,
    deployment,
    fast,
    namespace,
    resolve_with_test_plaintext,
    sops_secret,
)
from cluster_harness import ClusterHarness

from validator.apply import (
    Action,
    ApplyError,
    ApplyReport,
    FieldRule,
    KubeClient,
    apply_resources,
    detect_drift,
    parse_field_rules,
)

BODIES = (namespace("shop"), configmap("cfg"), deployment(), sops_secret())


def _run(kube: KubeClient, *, drift: bool = False, **options: Any) -> ApplyReport:
    run = detect_drift if drift else apply_resources
    return run(
        as_resources(*BODIES),
        environment="test",
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(**options),
    )


def _fields(report: ApplyReport, kind: str) -> dict[str, Any]:
    result = next(o for o in report.objects if o.ref.kind == kind)
    return {entry.path: entry for entry in result.drift}


def test_drift_reports_the_field_its_values_and_the_other_manager(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _run(kube)
    cluster.update_as("kubectl-edit", "apps/v1", "Deployment", "web", "shop", spec__replicas=7)

    report = _run(kube, drift=True)

    assert report.drift_remains
    assert [o.ref.kind for o in report.drifted] == ["Deployment"]
    entry = _fields(report, "Deployment")["/spec/replicas"]
    assert (entry.before, entry.after, entry.manager) == (7, 2, "kubectl-edit")
    assert cluster.get("apps/v1", "Deployment", "web", "shop")["spec"]["replicas"] == 7


def test_drift_mode_writes_nothing(cluster: ClusterHarness, kube: KubeClient) -> None:
    _run(kube)
    cluster.update_as("kubectl-edit", "v1", "ConfigMap", "cfg", "shop", data__mode="slow")
    writes = len(cluster.writes())

    report = _run(kube, drift=True, prune=True)

    assert cluster.writes()[writes:] == []
    assert report.mode == "drift" and report.drifted


def test_apply_corrects_drift_and_then_reports_none(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _run(kube)
    cluster.update_as("kubectl-edit", "apps/v1", "Deployment", "web", "shop", spec__replicas=7)

    corrected = _run(kube)
    after = _run(kube, drift=True)

    assert {o.ref.kind: o.action for o in corrected.objects}["Deployment"] is Action.CONFIGURED
    assert cluster.get("apps/v1", "Deployment", "web", "shop")["spec"]["replicas"] == 2
    assert not after.drifted and not after.drift_remains


def test_drift_masks_secret_values(cluster: ClusterHarness, kube: KubeClient) -> None:
    _run(kube)
    tampered = base64.b64encode(b"attacker-chosen-value").decode()
    cluster.update_as(
        "intruder", "v1", "Secret", "app-secrets", "shop", data__DATABASE_PASSWORD=tampered
    )

    report = _run(kube, drift=True)

    entry = _fields(report, "Secret")["/data/DATABASE_PASSWORD"]
    assert (entry.before, entry.after, entry.manager) == ("*** (before)", "*** (after)", "intruder")
    text = json.dumps(report.to_json())
    assert tampered not in text and "attacker-chosen-value" not in text


def test_drift_masks_configured_sensitive_fields(cluster: ClusterHarness, kube: KubeClient) -> None:
    _run(kube)
    cluster.update_as("kubectl-edit", "v1", "ConfigMap", "cfg", "shop", data__mode="internal-x")
    rules = parse_field_rules([{"kind": "ConfigMap", "paths": ["/data"]}], what="sensitive")

    report = _run(kube, drift=True, sensitive_rules=rules)

    entry = _fields(report, "ConfigMap")["/data/mode"]
    assert (entry.before, entry.after) == ("*** (before)", "*** (after)")
    assert "internal-x" not in json.dumps(report.to_json())


def test_drift_ignore_rules_hide_fields_per_kind_and_name(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _run(kube)
    cluster.update_as("hpa", "apps/v1", "Deployment", "web", "shop", spec__replicas=5)
    cluster.update_as("kubectl-edit", "v1", "ConfigMap", "cfg", "shop", data__mode="slow")
    rules = (FieldRule(paths=("/spec/replicas",), kind="Deployment", name="web"),)

    report = _run(kube, drift=True, ignore_rules=rules)
    applied = _run(kube, ignore_rules=rules)

    assert [o.ref.kind for o in report.drifted] == ["ConfigMap"]
    assert {o.ref.kind: o.action for o in applied.objects}["Deployment"] is Action.UNCHANGED
    assert cluster.get("apps/v1", "Deployment", "web", "shop")["spec"]["replicas"] == 5


def test_drift_ignores_fields_only_other_managers_own(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _run(kube)
    cluster.update_as(
        "sidecar-injector",
        "apps/v1",
        "Deployment",
        "web",
        "shop",
        metadata__annotations={"injected": "yes"},
    )

    report = _run(kube, drift=True)

    assert not report.drifted  # fields we never applied are not ours to revert


@pytest.mark.parametrize(
    "bad",
    [
        [{"paths": ["spec/replicas"]}],
        [{"paths": []}],
        [{"kind": 3, "paths": ["/a"]}],
        [{"paths": ["/a"], "extra": 1}],
        "not-a-list",
    ],
)
def test_parse_field_rules_rejects_malformed_rules(bad: Any) -> None:
    with pytest.raises(ApplyError):
        parse_field_rules(bad)
