"""The chart cache under `<cache_dir>/charts`, content-addressed and verified on every read.

    resolved/<key>.json   (kind, url, chart, constraint) → version and archive digest
    archives/<sha256>.tgz a downloaded chart archive, named by its own digest
    trees/<key>/          the unpacked chart with its dependencies, and manifest.json
                          (sha256 of every file); key = (kind, url, chart, version, digest)

A damaged entry is a miss (and is rebuilt), never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.render.charts.archive import ArchiveError, tree_manifest

# How long a resolved version range is reused without asking the repository again (Helm keeps
# a repository index until `helm repo update`; an hour keeps ranges reasonably current).
RESOLVED_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class Resolved:
    version: str
    digest: str  # sha256 hex of the chart archive
    age: float  # seconds since it was resolved


def _key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


class ChartStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- resolutions -------------------------------------------------------------------------
    def resolved(self, kind: str, url: str, chart: str, constraint: str) -> Resolved | None:
        path = self.root / "resolved" / f"{_key(kind, url, chart, constraint)}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            version, digest, when = entry["version"], entry["digest"], float(entry["time"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not (isinstance(version, str) and _is_digest(digest)):
            return None
        return Resolved(version, digest, max(0.0, time.time() - when))

    def remember(self, kind: str, url: str, chart: str, constraint: str, found: Resolved) -> None:
        path = self.root / "resolved" / f"{_key(kind, url, chart, constraint)}.json"
        entry = {"version": found.version, "digest": found.digest, "time": time.time()}
        _write_atomic(path, json.dumps(entry).encode())

    def remember_unavailable(self, kind: str, url: str, chart: str, constraint: str) -> None:
        path = self.root / "resolved" / f"{_key(kind, url, chart, constraint)}.json"
        _write_atomic(path, json.dumps({"unavailable": True, "time": time.time()}).encode())

    def unavailable_age(self, kind: str, url: str, chart: str, constraint: str) -> float | None:
        """Seconds since the repository was last found unreachable for this chart, or None."""
        path = self.root / "resolved" / f"{_key(kind, url, chart, constraint)}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry.get("unavailable") is not True:
                return None
            return max(0.0, time.time() - float(entry["time"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    # -- archives ----------------------------------------------------------------------------
    def archive(self, digest: str) -> bytes | None:
        try:
            data = (self.root / "archives" / f"{digest}.tgz").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def put_archive(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        _write_atomic(self.root / "archives" / f"{digest}.tgz", data)
        return digest

    # -- unpacked trees ----------------------------------------------------------------------
    def tree(self, *identity: str) -> Path | None:
        entry = self.root / "trees" / _key(*identity)
        try:
            recorded = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
            name = recorded["chart"]
            if not isinstance(name, str) or name in ("", ".", "..") or "/" in name:
                return None  # a tampered manifest never points outside its entry
            chart = entry / name
            if tree_manifest(chart) != recorded["files"]:
                return None
        except (OSError, ValueError, KeyError, TypeError, ArchiveError):
            return None
        return chart

    def build_tree(self, identity: tuple[str, ...], build: Callable[[Path], Path]) -> Path:
        """Run `build(scratch)` (which returns the chart directory inside scratch) and keep the
        result as the tree of `identity`; a tree another run or thread finished first wins."""
        entry = self.root / "trees" / _key(*identity)
        entry.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".build-"))
        try:
            chart = build(scratch)
            manifest: dict[str, Any] = {"chart": chart.name, "files": tree_manifest(chart)}
            (scratch / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        if _moved(scratch, entry):
            return entry / chart.name
        existing = self.tree(*identity)
        if existing is not None:  # a concurrent build won: use it, never delete a live tree
            shutil.rmtree(scratch, ignore_errors=True)
            return existing
        # A damaged entry: moved aside (readers of it fail verification anyway), then replaced.
        aside = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".stale-"))
        if _moved(entry, aside / "entry") and _moved(scratch, entry):
            shutil.rmtree(aside, ignore_errors=True)
            return entry / chart.name
        shutil.rmtree(aside, ignore_errors=True)
        return scratch / chart.name  # still complete and verified; only its place is odd


def _moved(source: Path, target: Path) -> bool:
    try:
        os.replace(source, target)
    except OSError:
        return False
    return True


def _is_digest(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(scratch, path)
    except OSError:
        return  # a read-only or full cache costs speed only
