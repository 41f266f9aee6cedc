"""Git revisions from the command line are validated and never reach git as options."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support import RunCli, three_environments


def _committed_repo(make_repo) -> Path:
    repo = make_repo(three_environments())
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    commit = ("commit", "-qm", "base")
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x", *commit], check=True
    )
    return repo


def test_an_option_as_revision_is_refused_and_writes_nothing(
    make_repo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = _committed_repo(make_repo)
    target = tmp_path / "written-by-git"
    result = run_cli("validate", f"--changed-since=--output={target}", cwd=repo)
    assert result.code == 2, result.stderr
    assert "not a git revision" in result.stderr
    assert not target.exists()


def test_a_revision_that_is_not_a_commit_is_a_usage_error(make_repo, run_cli: RunCli) -> None:
    repo = _committed_repo(make_repo)
    tree = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD^{tree}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = run_cli("validate", "--changed-since", tree, cwd=repo)
    assert result.code == 2
    assert "is not a commit" in result.stderr


def test_a_valid_revision_still_selects_changed_environments(make_repo, run_cli: RunCli) -> None:
    repo = _committed_repo(make_repo)
    result = run_cli("validate", "--changed-since", "HEAD", "--format", "json", cwd=repo)
    assert result.code == 0, result.stderr
