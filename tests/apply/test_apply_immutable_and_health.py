"""Immutable fields and health waits against a real kube-apiserver; kstatus rules."""

from __future__ import annotations

from typing import Any

import pytest
from apply_support import as_resources, deployment, fast, namespace, resolve_with_test_plaintext
from cluster_harness import ClusterHarness

from validator.apply import RECREATE_ANNOTATION, Action, ApplyReport, KubeClient, apply_resources
from validator.apply.health import compute_status


def _apply(kube: KubeClient, *bodies: dict[str, Any], **options: Any) -> ApplyReport:
    return apply_resources(
        as_resources(*bodies),
        environment="test",
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(**options),
    )


def _with_selector(body: dict[str, Any], app: str) -> dict[str, Any]:
    body["spec"]["selector"] = {"matchLabels": {"app": app}}
    body["spec"]["template"]["metadata"]["labels"] = {"app": app}
    return body


def test_immutable_field_change_is_reported_without_opt_in(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    _apply(kube, namespace("shop"), deployment())
    uid = cluster.get("apps/v1", "Deployment", "web", "shop")["metadata"]["uid"]

    report = _apply(kube, namespace("shop"), _with_selector(deployment(), "web-v2"))

    result = next(o for o in report.objects if o.ref.kind == "Deployment")
    assert report.failed and result.action is Action.FAILED
    assert result.error and "immutable" in result.error and RECREATE_ANNOTATION in result.error
    assert cluster.get("apps/v1", "Deployment", "web", "shop")["metadata"]["uid"] == uid


def test_immutable_field_change_recreates_with_opt_in(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    opted_in = {"annotations": {RECREATE_ANNOTATION: "true"}}
    _apply(kube, namespace("shop"), deployment(**opted_in))
    uid = cluster.get("apps/v1", "Deployment", "web", "shop")["metadata"]["uid"]

    report = _apply(kube, namespace("shop"), _with_selector(deployment(**opted_in), "web-v2"))

    assert not report.failed, report.to_json()
    assert {o.ref.kind: o.action for o in report.objects}["Deployment"] is Action.RECREATED
    live = cluster.get("apps/v1", "Deployment", "web", "shop")
    assert live["metadata"]["uid"] != uid
    assert live["spec"]["selector"] == {"matchLabels": {"app": "web-v2"}}
    deletes = [q for method, path, q in cluster.writes() if method == "DELETE"]
    assert deletes == [{"propagationPolicy": "Background"}]


def test_health_reports_ready_workloads(cluster: ClusterHarness, kube: KubeClient) -> None:
    rollout = cluster.mark_deployment_ready_when_applied("web", "shop")

    report = _apply(kube, namespace("shop"), deployment(), wait_for_health=True)
    rollout.join(timeout=5)

    assert not report.failed, report.to_json()
    assert {h.ref.kind: h.status for h in report.health} == {
        "Namespace": "Current",
        "Deployment": "Current",
    }


def test_health_times_out_and_reports_the_blocker(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    report = _apply(kube, namespace("shop"), deployment(), wait_for_health=True, health_timeout=0.3)

    assert report.failed
    blocked = next(h for h in report.health if h.ref.kind == "Deployment")
    assert blocked.status == "InProgress"
    assert "timed out after 0.3s" in blocked.message and "replicas" in blocked.message


def _obj(kind: str, spec: Any = None, status: Any = None, generation: int = 1) -> dict[str, Any]:
    return {
        "kind": kind,
        "metadata": {"generation": generation},
        "spec": spec or {},
        "status": status or {},
    }


def _conditions(**types: str) -> dict[str, Any]:
    return {"conditions": [{"type": t, "status": s} for t, s in types.items()]}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (_obj("ConfigMap"), "Current"),
        (_obj("Job", status={"startTime": "now"}), "InProgress"),  # Flux: running is not done
        (_obj("Job", status=_conditions(Complete="True")), "Current"),
        (_obj("Job", status=_conditions(Failed="True")), "Failed"),
        (_obj("Widget", status=_conditions(Ready="False")), "InProgress"),
        (_obj("Widget", status=_conditions(Ready="True")), "Current"),
        (_obj("Widget", status=_conditions(Stalled="True")), "Failed"),
        (
            _obj(
                "Widget",
                status={"observedGeneration": 1, **_conditions(Ready="True")},
                generation=2,
            ),
            "InProgress",
        ),
        (_obj("StatefulSet", {"replicas": 2}, {"replicas": 2, "readyReplicas": 1}), "InProgress"),
        (_obj("StatefulSet", {"updateStrategy": {"type": "OnDelete"}}), "Current"),
        (
            _obj(
                "DaemonSet",
                status={
                    "desiredNumberScheduled": 2,
                    "currentNumberScheduled": 2,
                    "updatedNumberScheduled": 2,
                    "numberAvailable": 2,
                },
            ),
            "Current",
        ),
        (_obj("DaemonSet"), "InProgress"),
        (
            _obj(
                "Deployment",
                {"replicas": 1},
                {
                    "conditions": [
                        {
                            "type": "Progressing",
                            "status": "False",
                            "reason": "ProgressDeadlineExceeded",
                        }
                    ]
                },
            ),
            "Failed",
        ),
    ],
)
def test_kstatus_rules(obj: dict[str, Any], expected: str) -> None:
    assert compute_status(obj)[0] == expected
