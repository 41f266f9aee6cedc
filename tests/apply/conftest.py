"""Fixtures of the apply-stage tests: the FakeApiServer TEST DOUBLE and a real client to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_apiserver import FakeApiServer

from validator.apply import KubeClient


@pytest.fixture
def fake_api() -> Iterator[FakeApiServer]:
    server = FakeApiServer(establish_delay=0.2).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(fake_api: FakeApiServer, tmp_path: Path) -> Path:
    return fake_api.write_kubeconfig(tmp_path / "kubeconfig.json")


@pytest.fixture
def kube(kubeconfig: Path) -> Iterator[KubeClient]:
    with KubeClient.from_kubeconfig(kubeconfig) as client:
        yield client
