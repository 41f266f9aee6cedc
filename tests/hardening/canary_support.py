"""Where a canary must never appear: every stream, report format and file a run leaves."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from pathlib import Path

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")


def needles(*canaries: str) -> list[str]:
    """Each canary and its base64 form (how a Secret's data carries it)."""
    return [*canaries, *(base64.b64encode(c.encode()).decode() for c in canaries)]


def report_args(out: Path) -> list[str]:
    """`--format NAME=FILE` for every output format, written under `out`."""
    return [arg for name in FORMATS for arg in ("--format", f"{name}={out / name}")]


def written(directories: Iterable[Path]) -> dict[str, str]:
    """Every regular file under the directories, by path, as text."""
    found: dict[str, str] = {}
    for directory in directories:
        if directory.exists():
            for path in directory.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    found[str(path)] = path.read_text(errors="replace")
    return found


def assert_clean(
    canaries: Iterable[str], texts: Mapping[str, str], directories: Iterable[Path] = ()
) -> None:
    """No canary (nor its base64) in the named texts or any file under the directories."""
    every = {**texts, **written(directories)}
    leaks = [
        (where, needle) for needle in needles(*canaries) for where, text in every.items()
        if needle in text
    ]  # fmt: skip
    assert not leaks, leaks
