"""git's error paths never carry a secret to any output (issue 10, done-when 2): a revision
holding a credential (a `password=…` pair, a pasted GitHub token) and a base checkout that git
cannot make because a smudge filter fails after printing the file it was given."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from canary_support import assert_clean, report_args
from support import RunCli, three_environments

CONFIGMAP_CANARY = "canary-git-filter-content-0d3f"
REVISIONS = {
    "credential pair": "password=canary-git-revision-81c2",
    "github token": "ghp_" + "CanaryGitRev1s10nT0ken0123456789abcd",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=60)


def _committed(make_repo) -> Path:
    files = three_environments()
    files["overlays/prod/notes.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"
        f"data:\n  note: {CONFIGMAP_CANARY}\n"
    )
    files["overlays/prod/kustomization.yaml"] += "  - notes.yaml\n"
    repo = make_repo(files)
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return repo


def _run(run_cli: RunCli, repo: Path, tmp_path: Path, revision: str):  # type: ignore[no-untyped-def]
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir(exist_ok=True)
    scratch.mkdir(exist_ok=True)
    env = {"TMPDIR": str(scratch), "GITHUB_STEP_SUMMARY": str(out / "summary.md")}
    args = ("-vv", "validate", "--changed-since", revision, *report_args(out))
    return run_cli(*args, cwd=repo, env=env), [out, scratch]


@pytest.mark.parametrize("case", sorted(REVISIONS))
def test_a_revision_holding_a_secret_is_never_echoed(
    make_repo, run_cli: RunCli, tmp_path: Path, cache_dir: Path, case: str
) -> None:
    repo = _committed(make_repo)
    revision = REVISIONS[case]
    result, directories = _run(run_cli, repo, tmp_path, revision)
    assert result.code == 2, result.stdout + result.stderr  # README: not a commit is a usage error
    assert "is not a commit" in result.stderr
    secret = revision.removeprefix("password=")
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    assert_clean([secret], texts, [*directories, cache_dir])


def test_a_failing_base_checkout_does_not_repeat_what_a_filter_printed(
    make_repo, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    repo = _committed(make_repo)
    (repo / ".gitattributes").write_text("overlays/prod/notes.yaml filter=leaky\n")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".gitattributes")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "attrs")
    # The smudge filter echoes the file it is given to stderr (on one line), then fails: git
    # passes that on.
    _git(repo, "config", "filter.leaky.smudge", "tr '\\n' ' ' >&2; exit 1")
    _git(repo, "config", "filter.leaky.clean", "cat")
    _git(repo, "config", "filter.leaky.required", "true")
    with (repo / "overlays/prod/kustomization.yaml").open("a") as changed:
        changed.write("commonLabels: {changed: 'yes'}\n")  # PR mode must check out the base
    result, directories = _run(run_cli, repo, tmp_path, "HEAD")
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.code == 2, output
    assert "git worktree" in result.stderr, result.stderr
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    assert_clean([CONFIGMAP_CANARY], texts, [*directories, cache_dir])
    assert not list((tmp_path / "tmp").iterdir())  # the failed checkout left nothing behind


def test_a_failing_repository_listing_falls_back_without_echoing_anything(
    make_repo, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    """`git ls-files` fails on a corrupt index (which holds a value): the scans walk the tree
    instead, and git's complaint is never repeated."""
    repo = _committed(make_repo)
    index_canary = "canary-git-index-content-93aa"
    (repo / ".git" / "index").write_bytes(b"DIRC" + f"{index_canary} corrupt".encode())
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-files"], capture_output=True, timeout=60, check=False
    )
    assert listing.returncode != 0  # the failure this test is about really happens
    token = "ghp_" + "CanaryListingT0ken0123456789abcdefAB"
    (repo / "overlays/prod/.env").write_text(f"GITHUB_TOKEN={token}\n")  # untracked
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    scratch.mkdir()
    env = {"TMPDIR": str(scratch), "GITHUB_STEP_SUMMARY": str(out / "summary.md")}
    result = run_cli("-vv", "validate", *report_args(out), cwd=repo, env=env)
    assert result.code == 1, result.stdout + result.stderr
    assert "secret-leak" in (out / "json").read_text()  # found by the walk instead
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    assert_clean([index_canary, token], texts, [out, scratch, cache_dir])
