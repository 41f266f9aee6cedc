"""Shared fixtures: repositories built in tmp_path and the real CLI run as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from support import DEMO_PARTS, PROJECT_ROOT, CliResult, RunCli, git_init, write_files


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def run_cli(cache_dir: Path) -> RunCli:
    """Run `gitops-validator ARGS` in a child process, with an isolated render cache."""

    def run(
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
    ) -> CliResult:
        environ = {
            **os.environ,
            "GITOPS_VALIDATOR_CACHE_DIR": str(cache_dir),
            "NO_COLOR": "1",
            **(env or {}),
        }
        done = subprocess.run(
            [sys.executable, "-m", "validator", *args],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=120,
            check=False,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    def make(files: Mapping[str, str | bytes]) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        git_init(root)
        return write_files(root, files)

    return make


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A copy of the project's own demo repository."""
    root = tmp_path / "demo"
    root.mkdir()
    git_init(root)
    for part in DEMO_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            shutil.copy2(source, root / part)
    return root
