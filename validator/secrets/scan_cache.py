"""Per-file results of the repository scan, keyed by everything they depend on.

A warm `validate` re-reads an unchanged SOPS file's findings instead of parsing it again with
ruamel.yaml. Findings hold no secret values (only salted hashes), so caching them is safe.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from validator import __version__
from validator.cachefile import read_sealed, write_sealed
from validator.model import Finding, canonical_json

FORMAT = 3
log = logging.getLogger("gitops_validator.cache")


class ScanCache:
    def __init__(self, directory: Path | None, context: object) -> None:
        # Sealed like the render cache (validator.cachefile): a planted entry must not hide a
        # plaintext secret.
        self._cache_dir = directory
        self._directory = directory / "secrets-scan" if directory else None
        self._context = canonical_json({"format": FORMAT, "tool": __version__, "ctx": context})

    def findings(
        self, root: Path, path: str, text: str, compute: Callable[[], list[Finding]]
    ) -> list[Finding]:
        if self._directory is None or self._cache_dir is None:
            return compute()
        key = self._key(root, path, text)
        target = self._directory / key[:2] / f"{key}.json"
        items = read_sealed(self._cache_dir, target, key.encode())
        if isinstance(items, list):
            try:
                return [Finding.from_json(item) for item in items]
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("secrets scan cache entry %s has the wrong shape", target.name)
        findings = compute()
        write_sealed(self._cache_dir, target, key.encode(), [f.to_json() for f in findings])
        return findings

    def _key(self, root: Path, path: str, text: str) -> str:
        digest = hashlib.sha256(self._context.encode())
        digest.update(path.encode() + b"\0" + text.encode())
        for config in _sops_configs(root, path):
            digest.update(config.read_bytes())
        return digest.hexdigest()


def _sops_configs(root: Path, path: str) -> list[Path]:
    """Every .sops.yaml from the file's directory up to the root: the rules that may apply."""
    found = []
    directory = (root / path).parent
    while directory.is_relative_to(root):
        candidate = directory / ".sops.yaml"
        if candidate.is_file():
            found.append(candidate)
        if directory == root:
            break
        directory = directory.parent
    return found
