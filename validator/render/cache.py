"""Content-addressed render cache, verified on every read.

The key covers every input file's content, the tool versions and the render flags, so an
unchanged environment skips kustomize and Helm entirely. Renders containing plaintext Secret
values are never stored: the cache must not become a second copy of a secret.

Every entry carries an HMAC over its cache key and documents with the cache directory's own
key (validator.integrity): an entry edited on disk, or copied from another machine or branch,
does not verify and is rendered fresh — a poisoned cache never reaches a report or a bundle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from validator import integrity
from validator.atomic import write_atomic
from validator.model import canonical_json

CACHE_FORMAT = 2
MAX_ENTRY_BYTES = 256 * 1024 * 1024

_LOCATIONS = ".locations"  # the source map's answers, next to the documents, verified alike

log = logging.getLogger("gitops_validator.cache")


def cache_key(inputs: Iterable[Path], repo_root: Path, parameters: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(canonical_json({"format": CACHE_FORMAT, **parameters}).encode())
    for path in sorted(inputs):
        digest.update(path.relative_to(repo_root).as_posix().encode() + b"\0")
        if not stat.S_ISREG(path.stat().st_mode):
            # A FIFO or device is never read (it would hang); the source check refuses it.
            digest.update(b"not a regular file")
            continue
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class RenderCache:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _path(self, key: str, part: str = "") -> Path:
        return self._directory / key[:2] / f"{key}{part}.json"

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The verified documents, or None: a missing, damaged, foreign or odd entry is a miss."""
        path = self._path(key)
        documents = self._verified(path, key.encode(), "documents")
        if documents is None:
            return None
        if not _well_formed(documents):
            log.warning("render cache entry %s has the wrong shape: rendering fresh", path.name)
            return None
        return list(documents)

    def put(self, key: str, documents: list[dict[str, Any]]) -> None:
        if any(_has_plaintext_secret(doc.get("body", {})) for doc in documents):
            return
        self._store(self._path(key), key.encode(), "documents", documents)

    def get_locations(self, key: str) -> list[list[Any]] | None:
        """The source map's answers for this render: where findings' fields are set."""
        tag = key.encode() + _LOCATIONS.encode()
        locations = self._verified(self._path(key, _LOCATIONS), tag, "locations")
        return locations if isinstance(locations, list) else None

    def put_locations(self, key: str, locations: list[list[Any]]) -> None:
        """Only file names, lines and JSON pointers: never a value of the rendered objects."""
        tag = key.encode() + _LOCATIONS.encode()
        self._store(self._path(key, _LOCATIONS), tag, "locations", locations)

    def _verified(self, path: Path, tag: bytes, field: str) -> Any:
        secret = integrity.cache_key_for(self._directory)
        if secret is None or not path.is_file():
            return None
        try:
            if path.stat().st_size > MAX_ENTRY_BYTES:
                raise ValueError("too large")
            entry = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            log.warning("render cache entry %s is unreadable: rendering fresh", path.name)
            return None
        value = entry.get(field) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            log.info("render cache entry %s has another format: rendering fresh", path.name)
            return None
        if not integrity.verify(secret, entry.get("mac"), tag, _canonical(value)):
            log.warning(
                "render cache entry %s failed its integrity check (edited, or written "
                "elsewhere): rendering fresh",
                path.name,
            )
            return None
        return value

    def _store(self, path: Path, tag: bytes, field: str, value: Any) -> None:
        secret = integrity.cache_key_for(self._directory)
        if secret is None:
            return
        mac = integrity.digest(secret, tag, _canonical(value))
        text = json.dumps({"format": CACHE_FORMAT, "mac": mac, field: value})
        try:
            write_atomic(path, text.encode())
        except OSError:
            return  # a read-only or full cache directory only costs speed


def _canonical(documents: Any) -> bytes:
    return canonical_json(documents).encode()


def _well_formed(documents: Any) -> bool:
    """[{"body": {...}, "origin": null | [file, line], "unit"?: str} | {"finding": {...}}, ...]
    as the render stage writes them."""
    if not isinstance(documents, list):
        return False
    for document in documents:
        if isinstance(document, dict) and "finding" in document:
            finding = document["finding"]
            if not isinstance(finding, dict) or not isinstance(finding.get("ruleId"), str):
                return False
            continue
        if not isinstance(document, dict) or not isinstance(document.get("body"), dict):
            return False
        if not isinstance(document.get("unit", ""), str):
            return False
        origin = document.get("origin")
        if origin is not None and not (
            isinstance(origin, list)
            and len(origin) == 2
            and isinstance(origin[0], str)
            and isinstance(origin[1], int)
        ):
            return False
    return True


def _has_plaintext_secret(body: Mapping[str, Any]) -> bool:
    if body.get("kind") != "Secret":
        return False
    for field in ("data", "stringData"):
        values = body.get(field)
        if isinstance(values, Mapping) and any(
            _is_plaintext(str(value)) for value in values.values() if value not in (None, "")
        ):
            return True
    return False


def _is_plaintext(value: str) -> bool:
    return not value.startswith(("ENC[", "ref+", "<path:"))
