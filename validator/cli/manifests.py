"""Read the FILE arguments of `validate FILE...` (and `-`, standard input) into sources."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from validator.model import UsageError
from validator.render.loose import STDIN, ManifestSource

MAX_BYTES = 64 * 1024 * 1024  # a loose manifest larger than this is a mistake, not a manifest


def read_manifests(repo: Path, names: Sequence[str]) -> list[ManifestSource]:
    sources = []
    for name in names:
        if name == STDIN:
            sources.append(ManifestSource(STDIN, _read_stdin()))
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            sources += [ManifestSource(_display(repo, p), _read(p)) for p in files if p.is_file()]
            continue
        sources.append(ManifestSource(_display(repo, path), _read(path)))
    return sources


def _read_stdin() -> str:
    text = sys.stdin.read(MAX_BYTES + 1)
    if len(text) > MAX_BYTES:
        raise UsageError(f"standard input is larger than {MAX_BYTES // 2**20} MiB")
    return text


def _read(path: Path) -> str:
    try:
        if not path.exists():
            raise UsageError(f"{path}: no such file")
        if not path.is_file():
            raise UsageError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(f"{path}: larger than {MAX_BYTES // 2**20} MiB")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def _display(repo: Path, path: Path) -> str:
    """Repository-relative when the file is in the repository (as every finding's file is)."""
    absolute = path.resolve()
    return absolute.relative_to(repo).as_posix() if absolute.is_relative_to(repo) else str(absolute)
