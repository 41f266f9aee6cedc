"""Canary: no resolved secret value reaches a report, log, exception message or file.

The resolver TEST DOUBLE turns every `ENC[...]` into a canary plaintext; the real kube-apiserver
echoes rejected values in its 422 messages (an immutable Job template, an immutable Secret).
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from apply_support import (
    CANARY,
    ENC,
    as_resources,
    deployment,
    fast,
    namespace,
    resolve_with_test_plaintext,
    sops_secret,
)
from cluster_harness import ClusterHarness

from validator.apply import (
    ApplyReport,
    KubeClient,
    apply_resources,
    detect_drift,
    reconcile,
    write_report,
)

PLAINTEXTS = [*CANARY.values(), "canary-extra_token-plaintext"]
NEEDLES = [*PLAINTEXTS, *(base64.b64encode(v.encode()).decode() for v in PLAINTEXTS)]


def _job(image: str) -> dict[str, Any]:
    env = [{"name": "DATABASE_PASSWORD", "value": ENC}]
    container = {"name": "migrate", "image": image, "env": env}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}},
    }


def _immutable_secret() -> dict[str, Any]:
    secret = sops_secret("locked")
    secret["immutable"] = True
    return secret


def _run(kube: KubeClient, bodies: list[dict[str, Any]], *, drift: bool = False) -> ApplyReport:
    run = detect_drift if drift else apply_resources
    return run(
        as_resources(*bodies),
        environment="test",
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(),
    )


def _assert_clean(text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text


def test_no_secret_value_in_apply_drift_reconcile_output(
    cluster: ClusterHarness,
    kube: KubeClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies = [
        namespace("shop"),
        sops_secret(),
        _immutable_secret(),
        _job("migrate:1"),
        deployment(),
    ]
    first = _run(kube, bodies)
    assert not first.failed, first.to_json()
    live = cluster.get("v1", "Secret", "app-secrets", "shop")
    assert base64.b64decode(live["data"]["DATABASE_PASSWORD"]).decode() in CANARY.values()

    # Provoke errors whose server text echoes values: immutable Secret data, Job template.
    changed_secret = _immutable_secret()
    changed_secret["stringData"]["EXTRA_TOKEN"] = ENC  # resolves to another canary
    cluster.update_as(
        "kubectl-edit",
        "v1",
        "Secret",
        "app-secrets",
        "shop",
        data__STRIPE_API_KEY=base64.b64encode(b"x" * 8).decode(),
    )
    changed = [namespace("shop"), sops_secret(), changed_secret, _job("migrate:2"), deployment()]
    drift = _run(kube, changed, drift=True)
    second = _run(kube, changed)
    summary = reconcile(
        lambda: _run(kube, changed), interval=0, max_iterations=2, sleep=lambda _: None
    )

    assert second.failed
    errors = [o.error for o in second.objects if o.error]
    assert len(errors) == 2 and all("server message withheld" in e for e in errors)
    assert any(o.ref.kind == "Secret" and o.drift for o in drift.objects)
    outputs = [json.dumps(r.to_json()) for r in (first, drift, second, *summary.results)]
    for report in (first, drift, second):
        write_report(report, tmp_path / f"{report.mode}-{id(report)}.json")
    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    captured = capsys.readouterr()
    for text in (*outputs, *files, caplog.text, captured.out, captured.err):
        _assert_clean(text)


def test_resolver_failure_message_never_carries_its_text(
    cluster: ClusterHarness, kube: KubeClient
) -> None:
    def broken_resolver(resources: Any) -> list[dict[str, Any]]:
        raise RuntimeError(f"could not parse {CANARY['DATABASE_PASSWORD']}")

    with pytest.raises(Exception) as raised:
        apply_resources(
            as_resources(namespace("shop"), sops_secret()),
            environment="test",
            client=kube,
            resolve=broken_resolver,
            options=fast(),
        )
    assert "RuntimeError" in str(raised.value)
    _assert_clean(str(raised.value))
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_unresolved_ciphertext_is_never_applied(cluster: ClusterHarness, kube: KubeClient) -> None:
    def no_op_resolver(resources: Any) -> list[dict[str, Any]]:
        return [dict(r.body) for r in resources]

    with pytest.raises(Exception, match="still holds encrypted values"):
        apply_resources(
            as_resources(namespace("shop"), sops_secret()),
            environment="test",
            client=kube,
            resolve=no_op_resolver,
            options=fast(),
        )
    assert cluster.writes() == []
