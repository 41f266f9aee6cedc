"""Find the repository root and the configuration file."""

from __future__ import annotations

from pathlib import Path

CONFIG_NAMES = ("gitops-validator.yaml", "gitops-validator.yml")


def find_git_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def find_config(start: Path) -> Path | None:
    """Walk up from `start` to the git root (inclusive) looking for a config file."""
    stop = find_git_root(start)
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        if directory == stop:
            break
    return None
