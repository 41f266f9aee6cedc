"""Schemas fetched from URLs, kept in an on-disk cache under `<cache_dir>/schemas/`.

Each URL is fetched once: the body goes to `<sha256(url)>.json` and a record of what was found
(`<sha256(url)>.meta.json`: the URL, the HTTP outcome and the body's SHA-256) beside it. A read
verifies the digest, so a truncated or edited cache entry is refetched (or, offline, reported),
never trusted. "Not found" is recorded too, so an offline run reports exactly what the last
online run did (online, misses are asked again). Offline, nothing is fetched: the cache is the
only source.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

FETCH_TIMEOUT_SECONDS = 20
MAX_SCHEMA_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes | None  # None: nothing usable at the URL
    note: str  # why not, for the unknown-kind message ("HTTP 404", "not in the offline cache")


class RemoteSchemas:
    """Thread-safe: environments validated in parallel share one instance."""

    def __init__(self, cache_dir: Path | None, offline: bool) -> None:
        self._dir = cache_dir / "schemas" if cache_dir else None
        self._offline = offline
        self._lock = threading.Lock()
        self._memory: dict[str, Fetched] = {}

    def get(self, url: str) -> Fetched:
        with self._lock:
            found = self._memory.get(url)
            if found is None:
                found = self._cached(url)
                if found is None:
                    found = _offline_miss() if self._offline else self._fetch(url)
                self._memory[url] = found
            return found

    def _paths(self, url: str) -> tuple[Path, Path] | None:
        if self._dir is None:
            return None
        key = hashlib.sha256(url.encode()).hexdigest()
        return self._dir / f"{key}.json", self._dir / f"{key}.meta.json"

    def _cached(self, url: str) -> Fetched | None:
        paths = self._paths(url)
        if paths is None:
            return None
        body_path, meta_path = paths
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        if meta.get("status") != 200:
            # Online, a miss is asked again (the schema may have been published since).
            return Fetched(None, str(meta.get("note", "not found"))) if self._offline else None
        try:
            body = body_path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(body).hexdigest() != meta.get("sha256"):
            # A damaged entry is not trusted; online it is fetched again.
            return Fetched(None, "cached copy fails its digest check") if self._offline else None
        return Fetched(body, "")

    def _fetch(self, url: str) -> Fetched:
        import urllib.error  # http.client and ssl load only when a schema is fetched
        import urllib.request

        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
                body = response.read(MAX_SCHEMA_BYTES + 1)
        except urllib.error.HTTPError as error:
            fetched = Fetched(None, f"HTTP {error.code}")
            if error.code in (404, 410):  # a definite answer, worth remembering
                self._store(url, fetched)
            return fetched
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            return Fetched(None, f"unreachable: {type(reason).__name__}")
        if len(body) > MAX_SCHEMA_BYTES:
            return Fetched(None, "larger than 16 MB")
        fetched = Fetched(body, "")
        self._store(url, fetched)
        return fetched

    def _store(self, url: str, fetched: Fetched) -> None:
        paths = self._paths(url)
        if paths is None:
            return
        body_path, meta_path = paths
        meta: dict[str, object] = {"url": url, "status": 200 if fetched.body else 404}
        if fetched.body is not None:
            meta["sha256"] = hashlib.sha256(fetched.body).hexdigest()
            _write_atomically(body_path, fetched.body)
        else:
            meta["note"] = fetched.note
        _write_atomically(meta_path, json.dumps(meta, sort_keys=True).encode())


def _offline_miss() -> Fetched:
    return Fetched(None, "not in the offline cache")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
