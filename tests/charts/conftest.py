"""Loopback chart servers, started and stopped per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chart_servers import HttpChartRepository, OciRegistry


@pytest.fixture
def chart_repo(tmp_path: Path) -> Iterator[HttpChartRepository]:
    repository = HttpChartRepository(tmp_path / "http-repo")
    yield repository
    repository.stop()


@pytest.fixture
def oci_registry(tmp_path: Path) -> Iterator[OciRegistry]:
    registry_root = tmp_path / "registry"
    registry_root.mkdir()
    registry = OciRegistry(registry_root)
    yield registry
    registry.stop()
