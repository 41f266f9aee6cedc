"""Configured paths stay inside the repository; junk settings are configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RunCli, three_environments

CONFINED = [
    "secrets:\n  sopsConfig: ../outside/.sops.yaml\n",
    "secrets:\n  baseline: /etc/hostname\n",
    "policies:\n  exceptions: ../outside/exceptions.yaml\n",
    "policies:\n  paths: [policies, ../outside]\n",
    "schema:\n  crdPaths: [/etc]\n",
]


@pytest.mark.parametrize("section", CONFINED)
def test_paths_outside_the_repository_are_refused(
    section: str, make_repo, run_cli: RunCli, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "exceptions.yaml").write_text("exceptions: []\n")
    (outside / ".sops.yaml").write_text("creation_rules: []\n")
    files = three_environments()
    files["gitops-validator.yaml"] += section
    repo = make_repo(files)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stderr
    assert "outside the repository" in result.stderr
    assert "untrusted" in result.stderr


def test_a_symlink_leaving_the_repository_is_refused(
    make_repo, run_cli: RunCli, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("exceptions: []\n")
    files = three_environments()
    files["gitops-validator.yaml"] += "policies:\n  exceptions: exceptions.yaml\n"
    repo = make_repo(files)
    (repo / "exceptions.yaml").symlink_to(outside)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3
    assert "outside the repository" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_junk_no_cache_value_is_a_configuration_error(
    value: str, make_repo, run_cli: RunCli
) -> None:
    repo = make_repo(three_environments())
    result = run_cli("validate", cwd=repo, env={"GITOPS_VALIDATOR_NO_CACHE": value})
    assert result.code == 3
    assert "GITOPS_VALIDATOR_NO_CACHE" in result.stderr


@pytest.mark.parametrize("value", ["true", "0", "off"])
def test_known_no_cache_values_are_accepted(value: str, make_repo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments())
    result = run_cli("validate", cwd=repo, env={"GITOPS_VALIDATOR_NO_CACHE": value})
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("body", ["- policy: x\n", "just a string\n", "42\n"])
def test_a_non_mapping_exceptions_file_is_an_error(body: str, make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += "policies:\n  exceptions: exceptions.yaml\n"
    files["exceptions.yaml"] = body
    repo = make_repo(files)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, (result.code, result.stderr, result.stdout)
    assert "exceptions.yaml" in result.stderr
