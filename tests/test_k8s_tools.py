"""The project-built Kubernetes tools: the build script's contract and kustomize's discovery."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import PROJECT_ROOT

from validator.model import ToolMissingError
from validator.render import tools

SCRIPT = PROJECT_ROOT / "tools" / "build-k8s-tools.sh"


@pytest.fixture(autouse=True)
def _fresh_lookup() -> Iterator[None]:
    tools.find_kustomize.cache_clear()
    yield
    tools.find_kustomize.cache_clear()


def _fake_tool(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_the_pinned_kustomize_is_the_one_the_build_script_builds() -> None:
    go_mod = (PROJECT_ROOT / "tools" / "go" / "kustomize" / "go.mod").read_text()
    pinned = re.search(r"sigs\.k8s\.io/kustomize/kustomize/v5 (v\S+)", go_mod)
    assert pinned and pinned.group(1) == tools.PINNED_KUSTOMIZE


def test_the_project_built_kustomize_comes_before_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _fake_tool(
        tmp_path / "tools" / f"kustomize-{tools.PINNED_KUSTOMIZE}" / "kustomize", "built"
    )
    _fake_tool(tmp_path / "bin" / "kustomize", "on-path")
    monkeypatch.setenv("GITOPS_VALIDATOR_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("GITOPS_VALIDATOR_KUSTOMIZE", raising=False)

    found = tools.find_kustomize()

    assert found.command == (str(built), "build") and found.version == "built"


def test_the_environment_variable_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = _fake_tool(tmp_path / "mine" / "kustomize", "chosen")
    _fake_tool(tmp_path / "tools" / f"kustomize-{tools.PINNED_KUSTOMIZE}" / "kustomize", "built")
    monkeypatch.setenv("GITOPS_VALIDATOR_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setenv("GITOPS_VALIDATOR_KUSTOMIZE", str(chosen))

    assert tools.find_kustomize().version == "chosen"
    monkeypatch.setenv("GITOPS_VALIDATOR_KUSTOMIZE", str(tmp_path / "missing"))
    tools.find_kustomize.cache_clear()
    with pytest.raises(ToolMissingError, match="not a file"):
        tools.find_kustomize()


def test_tests_use_the_project_built_kustomize_in_ci() -> None:
    if not os.environ.get("CI"):
        pytest.skip("outside CI the build may have been impossible (no Go)")
    assert tools.built_tool("kustomize", tools.PINNED_KUSTOMIZE) is not None
    assert tools.find_kustomize().version == tools.PINNED_KUSTOMIZE


def _script(tmp_path: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",  # no Go
        "HOME": str(tmp_path),
        "GITOPS_VALIDATOR_TOOLS_DIR": str(tmp_path / "empty"),
        **({"CI": "true"} if ci else {}),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_check_names_missing_binaries_and_fails(tmp_path: Path) -> None:
    done = _script(tmp_path, "--check", ci=False)
    assert done.returncode == 1
    assert "missing: kustomize etcd kube-apiserver" in done.stderr
    assert f"kube-apiserver {tmp_path}/empty/kube-apiserver-v" in done.stdout


def test_without_go_the_build_fails_in_ci_and_warns_elsewhere(tmp_path: Path) -> None:
    in_ci = _script(tmp_path, ci=True)
    assert in_ci.returncode == 1 and "error: go is not installed" in in_ci.stderr
    outside = _script(tmp_path, ci=False)
    assert outside.returncode == 0 and "warning: go is not installed" in outside.stderr
    assert "real API server tests will skip" in outside.stderr
