"""Fixtures for the Flux tests: the real sops binary with a real age key (pyrage)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyrage
import pytest

# The real sops helper and the chart cache's loopback chart servers are shared, not copied.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "secrets"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "charts"))
from chart_servers import chart_repo, oci_registry
from secrets_support import sops_binary

__all__ = ["chart_repo", "oci_registry"]  # the charts' loopback servers, shared


@pytest.fixture(scope="session")
def sops_encrypt(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], str]:
    identity = pyrage.x25519.Identity.generate()
    workdir = tmp_path_factory.mktemp("sops-cwd")

    def run(text: str, filename: str) -> str:
        command = [
            sops_binary(),
            "encrypt",
            "--filename-override",
            filename,
            "--age",
            str(identity.to_public()),
            "--encrypted-regex",
            "^(data|stringData)$",
        ]
        done = subprocess.run(
            command,
            input=text,
            capture_output=True,
            text=True,
            cwd=workdir,
            env={**os.environ, "SOPS_AGE_KEY": str(identity)},
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
