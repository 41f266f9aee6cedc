"""The repository's own files, as the stages that scan the whole repository see them.

`git ls-files` (tracked, plus untracked files that are not git-ignored), or a plain walk outside
a git checkout; files under tool and dependency directories are left out. Shared by the secrets
scan and the CRD collection so both read the same set of files.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache"})


def repository_files(root: Path) -> list[str]:
    """Repository-relative POSIX paths, sorted."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        result = subprocess.run(command, cwd=root, capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        result = None
    if result is not None and result.returncode == 0:
        listed = result.stdout.decode("utf-8", "surrogateescape").split("\0")
        return sorted({path for path in listed if path and not in_skipped_dir(path)})
    return sorted(_walk(root))


def in_skipped_dir(path: str) -> bool:
    return any(part in SKIPPED_DIRS for part in path.split("/")[:-1])


def _walk(root: Path) -> Iterator[str]:
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name not in SKIPPED_DIRS]
        for name in filenames:
            yield Path(directory, name).relative_to(root).as_posix()
