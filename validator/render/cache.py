"""Content-addressed render cache.

The key covers every input file's content, the tool versions and the render flags, so an
unchanged environment skips kustomize and Helm entirely. Renders containing plaintext Secret
values are never stored: the cache must not become a second copy of a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from validator.model import canonical_json

CACHE_FORMAT = 1


def cache_key(inputs: Iterable[Path], repo_root: Path, parameters: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(canonical_json({"format": CACHE_FORMAT, **parameters}).encode())
    for path in sorted(inputs):
        digest.update(path.relative_to(repo_root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class RenderCache:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _path(self, key: str) -> Path:
        return self._directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[dict[str, Any]] | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a missing or damaged entry is a miss, never an error
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            return None
        documents = entry.get("documents")
        return documents if isinstance(documents, list) else None

    def put(self, key: str, documents: list[dict[str, Any]]) -> None:
        if any(_has_plaintext_secret(doc.get("body", {})) for doc in documents):
            return
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, scratch = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": CACHE_FORMAT, "documents": documents}, handle)
            os.replace(scratch, target)
        except OSError:
            return  # a read-only or full cache directory only costs speed


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
