"""Findings of an environment that nothing has changed for, replayed instead of re-checked.

A second `validate` over an untouched repository (a re-run after reading the report, a
scheduled compliance report, a pre-commit hook run again) would check every object again and
reach the same findings. An environment's findings are therefore kept next to its render,
under a key that changes whenever anything the checks read could have changed:

- the environment's render key (the content of every file it renders from);
- every file of the repository (path and content digest), because the checks read files no
  render does: policies, exceptions, CRDs, `.sops.yaml`, the SOPS files that rendered objects
  reference; any edit anywhere is a miss;
- the settings, the tool's own code, and the day (exceptions expire at midnight);
- offline, the downloaded schemas. Online with schema URLs the answers depend on the network,
  so nothing is kept.

Entries are sealed like render entries (validator.cachefile), and findings about secret values
are never stored, exactly as their renders are not. What a stage remembers about an
environment besides its findings (the policy exceptions it used) is kept with them and handed
back on a hit, so `exception-unused` stays right.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import hashlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from validator import __version__
from validator.cachefile import read_sealed, write_sealed
from validator.model import Finding, Settings, canonical_json
from validator.repofiles import repository_files

FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent

log = logging.getLogger("gitops_validator.cache")


@dataclasses.dataclass(frozen=True, slots=True)
class Replay:
    """An environment's findings (located) and what each stage remembered, by stage name."""

    findings: tuple[Finding, ...]
    memos: dict[str, Any]


class FindingsCache:
    def __init__(self, settings: Settings, stages: Iterable[object]) -> None:
        """`stages`: the checks that run; findings of another set of stages never replay."""
        self._directory = settings.cache_dir
        self._repo = settings.repo_root.resolve()
        names = ",".join(f"{type(s).__module__}.{type(s).__qualname__}" for s in stages)
        run_key = _run_key(settings)
        self._run_key = f"{run_key}/{names}" if run_key else None

    def get(self, environment: str, render_key: str) -> Replay | None:
        key = self._key(environment, render_key)
        if key is None:
            return None
        path, tag = self._slot(environment)
        value = read_sealed(self._directory, path, tag)
        if not isinstance(value, dict) or value.get("key") != key:
            return None  # never checked, or something changed since
        try:
            findings = tuple(Finding.from_sealed_json(item) for item in value["findings"])
            memos = value["memos"]
        except (TypeError, KeyError, ValueError, AttributeError):
            log.warning("findings cache entry %s has the wrong shape: checking", path.name)
            return None
        return Replay(findings, memos if isinstance(memos, dict) else {})

    def put(self, environment: str, render_key: str, replay: Replay) -> None:
        key = self._key(environment, render_key)
        if key is not None:
            findings = [f.to_json() for f in replay.findings]
            value = {"key": key, "findings": findings, "memos": replay.memos}
            write_sealed(self._directory, *self._slot(environment), value)

    def _key(self, environment: str, render_key: str) -> str | None:
        if self._run_key is None:
            return None
        parts = (self._run_key, environment, render_key)
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _slot(self, environment: str) -> tuple[Path, bytes]:
        """One entry per environment of a repository, overwritten by each check: the cache
        does not grow with every edit."""
        slot = hashlib.sha256(f"{self._repo}\0{environment}".encode()).hexdigest()
        return self._directory / "findings" / slot[:2] / f"{slot}.json", f"findings/{slot}".encode()


def _run_key(settings: Settings) -> str | None:
    """What every environment's findings depend on besides its own render; None: keep nothing."""
    locations = settings.schema.locations
    remote = any(str(place).startswith(("http://", "https://")) for place in locations)
    if not settings.use_cache or (remote and not settings.offline):
        return None
    digest = hashlib.sha256(f"findings/{FORMAT}/{__version__}\0".encode())
    digest.update(canonical_json(_plain(settings)).encode())
    digest.update(datetime.date.today().isoformat().encode())
    for directory in _tool_directories():
        _stat_files(digest, directory, _walk(directory))
    root = settings.repo_root
    known = _KnownDigests(settings.cache_dir, root)
    known.update(digest, _repository_files(settings))
    known.update(digest, _configured_files(settings))
    known.save()
    if remote:
        schemas = settings.cache_dir / "schemas"
        _stat_files(digest, schemas, _walk(schemas))
    return digest.hexdigest()


def _repository_files(settings: Settings) -> list[str]:
    """The repository's files, less the cache directory when it sits inside the repository
    (each run writes there)."""
    root = settings.repo_root.resolve()
    cache = settings.cache_dir.resolve()
    inside = cache.relative_to(root).as_posix() + "/" if cache.is_relative_to(root) else None
    files = repository_files(settings.repo_root)
    return [name for name in files if not (inside and name.startswith(inside))]


class _KnownDigests:
    """File digests by content, not by time: a fresh CI checkout of the same commit (new
    mtimes) replays the cache it restored, and a report the last run wrote into the repository,
    identical this time, changes nothing. Like git's index, a file whose size, times and inode
    are those recorded with its digest is not read again (sealed under `findings/`)."""

    def __init__(self, cache_dir: Path, root: Path) -> None:
        self._root = root
        self._directory = cache_dir
        slot = hashlib.sha256(str(root.resolve()).encode()).hexdigest()
        self._path = cache_dir / "findings" / slot[:2] / f"{slot}.digests.json"
        self._tag = f"digests/{slot}".encode()
        stored = read_sealed(cache_dir, self._path, self._tag)
        self._known: dict[str, list[Any]] = stored if isinstance(stored, dict) else {}
        self._seen: dict[str, list[Any]] = {}

    def update(self, digest: Any, names: Iterable[str]) -> None:
        for name in names:
            digest.update(f"{name}\0{self._digest(name)}\0".encode())

    def save(self) -> None:
        if self._seen != self._known:
            write_sealed(self._directory, self._path, self._tag, self._seen)

    def _digest(self, name: str) -> str:
        path = self._root / name
        try:
            info = os.stat(path)
        except OSError:
            return "absent"
        stamp = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        known = self._known.get(name)
        if stat.S_ISREG(info.st_mode) and isinstance(known, list) and known[:4] == stamp:
            content = str(known[4])
        else:
            content = _content_digest(path)
        self._seen[name] = [*stamp, content]
        return content


def _content_digest(path: Path) -> str:
    """Regular files by content (streamed: any size); a FIFO or device is never opened for
    reading, only named with its type."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return "absent"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"mode {info.st_mode:o}"
        with os.fdopen(os.dup(fd), "rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError:
        return "unreadable"
    finally:
        os.close(fd)


def _stat_files(digest: Any, root: Path, names: Iterable[str]) -> None:
    for name in names:
        try:
            info = os.stat(root / name)
        except OSError:
            info = None
        stamp = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino) if info else None
        digest.update(f"{name}\0{stamp}\0".encode())


def _configured_files(settings: Settings) -> list[str]:
    """The rule files the config names, git-ignored or not (a local policy file counts too)."""
    root = settings.repo_root
    named = [
        *settings.policies.paths,
        *settings.schema.crd_paths,
        *(p for p in (settings.policies.exceptions, settings.secrets.baseline) if p),
        *(p for p in (settings.secrets.sops_config,) if p),
    ]
    if settings.config_file is not None:
        named.append(str(settings.config_file))
    files = []
    for entry in named:
        path = root / entry
        files.extend([str(path)] if not path.is_dir() else [str(path / n) for n in _walk(path)])
    return sorted(files)


def _tool_directories() -> list[Path]:
    """The tool's own modules and built-in policies (inside the package when installed, beside
    it in a checkout): an edited checkout is another tool."""
    checkout_policies = _PACKAGE.parent / "policies"
    return [_PACKAGE, *([checkout_policies] if checkout_policies.is_dir() else [])]


def _walk(directory: Path) -> list[str]:
    found: list[str] = []
    for parent, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        found.extend(os.path.relpath(os.path.join(parent, n), directory) for n in filenames)
    return sorted(found)


def _plain(value: Any) -> Any:
    """Settings as JSON a digest can take: sets sorted, so the key is the same every run."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(canonical_json(_plain(v)) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
