"""Loopback chart servers, started and stopped per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chart_servers import OciRegistry, chart_repo, oci_registry

__all__ = ["chart_repo", "oci_registry"]  # shared with tests/flux through chart_servers
from token_service import TokenService


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[tuple[OciRegistry, TokenService]]:
    """The registry with token authentication, and the token service it trusts."""
    registry_root = tmp_path / "token-registry"
    registry_root.mkdir()
    tokens = TokenService(registry_root)
    registry = OciRegistry(registry_root, auth=tokens.registry_auth())
    yield registry, tokens
    registry.stop()
    tokens.stop()
