"""The pre-commit hook manifest, run the way pre-commit runs it: entry + args + staged files."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml_rs
from support import PROJECT_ROOT, RunCli, deployment, three_environments

MANIFEST = PROJECT_ROOT / ".pre-commit-hooks.yaml"


def hook() -> dict[str, Any]:
    hooks = yaml_rs.loads(MANIFEST.read_text())
    assert isinstance(hooks, list)
    found: dict[str, Any] = next(h for h in hooks if h["id"] == "gitops-validator")
    return found


def test_manifest_has_what_pre_commit_requires() -> None:
    entry = hook()
    assert {"id", "name", "entry", "language"} <= set(entry)
    assert entry["language"] == "python"
    assert entry["pass_filenames"] is True
    assert shlex.split(entry["entry"])[0] == "gitops-validator"  # the console script


def test_files_pattern_selects_inputs_and_skips_the_rest() -> None:
    pattern = re.compile(hook()["files"])
    for wanted in (
        "overlays/prod/kustomization.yaml",
        "charts/web/values-prod.yml",
        "charts/web/templates/_helpers.tpl",
        "charts/web/templates/NOTES.txt",
        "secrets/prod/app.env",
        "gitops-validator.yaml",
        "secrets/.sops.yaml",
    ):
        assert pattern.search(wanted), wanted
    for unwanted in ("README.md", "validator/cli/main.py", "Makefile"):
        assert not pattern.search(unwanted), unwanted


def test_hook_validates_only_the_environment_a_staged_file_belongs_to(
    run_cli: RunCli, make_repo: Callable[[Mapping[str, str | bytes]], Path]
) -> None:
    files = three_environments()
    files["overlays/staging/kustomization.yaml"] += "patches:\n  - path: patch.yaml\n"
    files["overlays/staging/patch.yaml"] = deployment("web", replicas=2)
    repo = make_repo(files)
    entry = hook()
    command = [*shlex.split(entry["entry"])[1:], *entry["args"], "overlays/staging/patch.yaml"]
    result = run_cli("--repo", str(repo), *command, cwd=repo)
    assert result.code == 0, result.stderr
    validated = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert validated == ["staging"]
