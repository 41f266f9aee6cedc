"""Faults a real API server cannot be made to produce on demand, from the FaultApiServer
TEST DOUBLE: every run ends with a value-free error in its report, bounded in time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apply_support import (
    CANARY,
    as_resources,
    configmap,
    fast,
    namespace,
    resolve_with_test_plaintext,
)
from fault_apiserver import FaultApiServer

import validator.apply.kube as kube_module
from validator.apply import KubeClient, apply_resources, detect_drift


@pytest.fixture(params=["error-500", "slow", "drop"])
def faulty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultApiServer]:
    server = FaultApiServer(request.param, delay=2.0, echo=CANARY["DATABASE_PASSWORD"]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("run", [apply_resources, detect_drift])
def test_a_failing_server_ends_the_run_with_a_value_free_error(
    faulty: FaultApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: object
) -> None:
    monkeypatch.setattr(kube_module, "REQUEST_TIMEOUT_SECONDS", 0.5)
    kubeconfig = faulty.write_kubeconfig(tmp_path / "kubeconfig.json")
    started = time.monotonic()
    with KubeClient.from_kubeconfig(kubeconfig) as client:
        report = run(  # type: ignore[operator]
            as_resources(namespace("shop"), configmap("cfg")),
            environment="test",
            client=client,
            resolve=resolve_with_test_plaintext,
            options=fast(),
        )

    assert report.failed and report.errors, report.to_json()
    assert time.monotonic() - started < 20  # the client's timeout bounds a slow server
    assert faulty.requests >= 1
    text = json.dumps(report.to_json())
    assert CANARY["DATABASE_PASSWORD"] not in text  # the 500's echoed text is not reported
    expected = "HTTP 500" if faulty.fault == "error-500" else "GET "
    assert expected in text
