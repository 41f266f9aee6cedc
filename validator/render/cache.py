"""Content-addressed render cache, verified on every read.

The key covers every input file's content, the tool versions and the render flags, so an
unchanged environment skips kustomize and Helm entirely. Renders containing plaintext Secret
values are never stored: the cache must not become a second copy of a secret.

Every entry is sealed with an HMAC over its cache key and documents, keyed by the cache
directory's own key (validator.cachefile): an entry edited on disk, or copied from another
machine or branch, does not verify and is rendered fresh — a poisoned cache never reaches a
report or a bundle.
"""

from __future__ import annotations

import hashlib
import logging
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from validator.cachefile import read_sealed, write_sealed
from validator.model import canonical_json

CACHE_FORMAT = 3  # the key's format; entries are sealed by validator.cachefile

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
        documents = read_sealed(self._directory, path, key.encode())
        if documents is None:
            return None
        if not _well_formed(documents):
            log.warning("render cache entry %s has the wrong shape: rendering fresh", path.name)
            return None
        return list(documents)

    def put(self, key: str, documents: list[dict[str, Any]]) -> None:
        if any(_has_plaintext_secret(doc.get("body", {})) for doc in documents):
            return
        write_sealed(self._directory, self._path(key), key.encode(), documents)

    def get_locations(self, key: str) -> list[list[Any]] | None:
        """The source map's answers for this render: where findings' fields are set."""
        tag = key.encode() + _LOCATIONS.encode()
        locations = read_sealed(self._directory, self._path(key, _LOCATIONS), tag)
        return locations if isinstance(locations, list) else None

    def put_locations(self, key: str, locations: list[list[Any]]) -> None:
        """Only file names, lines and JSON pointers: never a value of the rendered objects."""
        tag = key.encode() + _LOCATIONS.encode()
        write_sealed(self._directory, self._path(key, _LOCATIONS), tag, locations)


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
