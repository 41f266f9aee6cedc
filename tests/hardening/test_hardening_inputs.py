"""Bad input is a clean error or a finding, never a hang or an internal error (item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from support import PROJECT_ROOT, RunCli, three_environments

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else 'x, x, x, x, x, x, x, x, x'}]\n"
    for prev, name in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True)
)


@contextmanager
def _fifo(path: Path) -> Iterator[None]:
    """A FIFO that exists only while the block runs: other tests scanning /tmp must never
    find one (opening it would block them)."""
    os.mkfifo(path)
    try:
        yield
    finally:
        # Release a reader that opened it meanwhile (a closing writer gives it EOF); with no
        # reader waiting the open fails, which is fine.
        with suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        path.unlink()


def _deep_block(depth: int, leaf: str) -> str:
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + f"leaf: {leaf}\n"


@pytest.mark.parametrize(
    "content",
    [
        BOMB,
        "environments:\n" + "".join("  " * i + f"  k{i}:\n" for i in range(3000)),
        "x: [" * 5000,
    ],
    ids=["alias-bomb", "deep-block", "deep-flow"],
)
def test_a_hostile_config_file_is_exit_3_with_file_and_line(
    content: str, make_repo, run_cli: RunCli
) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = content
    repo = make_repo(files)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stderr
    assert "gitops-validator.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "setting", ["policies:\n  exceptions: zero\n", "policies:\n  paths: [zero]\n"]
)
def test_device_files_are_refused_not_read(setting: str, make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += setting
    repo = make_repo(files)
    (repo / "zero").symlink_to("/dev/zero")  # inside the repository by name, a device by nature
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stderr  # confined first; the guard would refuse it too
    assert "outside the repository" in result.stderr or "not a regular file" in result.stderr


def test_a_fifo_as_exceptions_file_does_not_hang(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += "policies:\n  exceptions: pipe.yaml\n"
    repo = make_repo(files)
    with _fifo(repo / "pipe.yaml"):
        result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stderr
    assert "pipe.yaml" in result.stderr and "not a regular file" in result.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [("exceptions.yaml", BOMB), ("exceptions.yaml", b"exceptions:\n  - \xff\xfe\n")],
    ids=["alias-bomb", "not-utf8"],
)
def test_hostile_exceptions_files_are_exit_3(
    name: str, content: str | bytes, make_repo, run_cli: RunCli
) -> None:
    files: dict[str, str | bytes] = dict(three_environments())
    files["gitops-validator.yaml"] = str(files["gitops-validator.yaml"]) + (
        f"policies:\n  exceptions: {name}\n"
    )
    files[name] = content
    repo = make_repo(files)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stderr
    assert f"{name}:" in result.stderr


def test_a_deep_manifest_is_a_finding_and_never_rendered(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    canary = "canary-deep-secret-7d1f"
    files["overlays/base/deep.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n"
        + _deep_block(1500, canary).replace("\n", "\n  ").rstrip(" ")
    )
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - deep.yaml\n"
    files["deep.enc.yaml"] = _deep_block(
        1500, "ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:str]"
    ) + ("sops:\n  version: 3.9.0\n")
    repo = make_repo(files)
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    assert "nested deeper than 100 levels" in result.stdout
    assert "nests too deeply" in result.stdout
    assert canary not in result.stdout + result.stderr


def test_an_interrupt_during_start_up_is_exit_130_without_traceback(tmp_path: Path) -> None:
    """An import hook raises KeyboardInterrupt while the CLI's modules load, as Ctrl-C would."""
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'validator.report':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "import runpy\n"
        "runpy.run_module('validator', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "validate"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert "interrupted" in done.stderr


def test_a_fifo_in_an_overlay_is_refused_not_read(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - pipe.yaml\n"
    repo = make_repo(files)
    with _fifo(repo / "overlays/base/pipe.yaml"):
        result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    assert "not a regular file; refused" in result.stdout


def test_a_plain_dot_underscore_value_is_an_error_with_its_line_not_exit_70(
    make_repo, run_cli: RunCli
) -> None:
    """Found by `make fuzz` (sops_config): ruamel.yaml reads a plain `._` as a float and fails
    with a ValueError that is no YAMLError; in the config it was an internal error."""
    files = three_environments()
    files["gitops-validator.yaml"] += "note: ._\n"
    repo = make_repo(files)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stderr
    assert "gitops-validator.yaml:5: invalid YAML" in result.stderr
    files = three_environments()
    files["secrets/app.enc.yaml"] = "password: ._\nsops:\n  version: 3.9.0\n"
    files[".sops.yaml"] = "creation_rules:\n  - path_regex: ._\n"
    repo = make_repo(files)
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    assert "secrets/app.enc.yaml" in result.stdout and "Traceback" not in result.stderr
