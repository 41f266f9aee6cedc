"""Atomic writes: a file or directory appears complete or not at all.

Everything the tool writes (reports, bundles, cache entries) is first written to a temporary
sibling and renamed into place. A full disk, an interrupt or a crash half-way leaves no 0-byte
report, no partial bundle that a rerun trips over, and no truncated cache entry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary sibling; on any failure nothing is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would surprise a reader of a report
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A text stream whose content replaces `path` only when the block finishes without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_directory_atomic(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Create `out_dir` holding `files` (relative names): built in a temporary sibling and
    renamed into place, so `out_dir` is either complete or absent. `out_dir` must be absent or
    an empty directory (which is replaced)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".tmp"))
    try:
        for name, data in sorted(files.items()):
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        scratch.chmod(0o755)
        if out_dir.is_dir():
            out_dir.rmdir()  # only an empty directory: never replaces anybody's files
        os.rename(scratch, out_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
