"""The few git operations PR mode needs: changed files and a throwaway worktree of a revision."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from validator.masking import mask_tool_output
from validator.model import ToolMissingError, UsageError

_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except FileNotFoundError:
        raise ToolMissingError("git is not installed; --changed-since needs it") from None
    if done.returncode != 0:
        # Only git's own `fatal:`/`error:` lines: what a hook or a filter (a smudge filter during
        # the base checkout) prints may be file content, and is never repeated.
        own = [line for line in done.stderr.splitlines() if line.startswith(("fatal:", "error:"))]
        raise UsageError(f"git {args[0]}: {mask_tool_output(own[-1] if own else 'failed')}")
    return done.stdout


def verify_revision(repo: Path, revision: str) -> str:
    """The commit id `revision` names; a revision that is not a commit is a usage error.

    The revision comes from the command line or CI and is untrusted: `--end-of-options` keeps
    a value like `--output=FILE` from being read as an option, and only the resolved commit id
    is ever passed on to other git commands.
    """
    # The revision is shown masked: a pasted token or `password=…` is not echoed back.
    shown = repr(mask_tool_output(revision, limit=120))
    if not revision or revision.startswith("-") or "\0" in revision:
        raise UsageError(f"{shown} is not a git revision")
    try:
        commit = _git(
            repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
        ).strip()
    except UsageError:
        raise UsageError(f"{shown} is not a commit in {repo}") from None
    if not _COMMIT_ID.fullmatch(commit):
        raise UsageError(f"{shown} is not a commit in {repo}")
    return commit


def changed_files(repo: Path, revision: str) -> set[str]:
    """Files (relative to `repo`) that differ from `revision`: committed, staged, unstaged, new."""
    commit = verify_revision(repo, revision)
    changed = _git(repo, "diff", "--name-only", "--relative", commit, "--").splitlines()
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard").splitlines()
    return {line for line in (*changed, *untracked) if line}


def head_revision(repo: Path) -> str | None:
    try:
        return _git(repo, "rev-parse", "HEAD").strip() or None
    except (UsageError, ToolMissingError):
        return None


@contextmanager
def checkout_of(repo: Path, revision: str) -> Iterator[Path]:
    """A detached worktree of `revision`; yields the directory matching `repo` inside it.

    The user's checkout is never touched; the worktree is removed even on failure.
    """
    commit = verify_revision(repo, revision)
    top = Path(_git(repo, "rev-parse", "--show-toplevel").strip())
    scratch = Path(tempfile.mkdtemp(prefix="gitops-validator-base-"))
    tree = scratch / "tree"
    try:
        _git(repo, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        yield tree / os.path.relpath(repo.resolve(), top.resolve())
    finally:
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)],
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(scratch, ignore_errors=True)
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "prune"],
            capture_output=True,
            timeout=60,
            check=False,
        )
