"""Per-file results of the repository scan, keyed by everything they depend on.

A warm `validate` re-reads an unchanged SOPS file's findings instead of parsing it again with
ruamel.yaml. Findings hold no secret values (only salted hashes), so caching them is safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from validator import __version__, integrity
from validator.atomic import write_atomic
from validator.model import Finding, canonical_json

FORMAT = 2
log = logging.getLogger("gitops_validator.cache")


class ScanCache:
    def __init__(self, directory: Path | None, context: object) -> None:
        self._directory = directory / "secrets-scan" if directory else None
        # Keyed like the render cache: a planted entry must not hide a plaintext secret.
        self._secret = integrity.cache_key_for(directory) if directory else None
        self._context = canonical_json({"format": FORMAT, "tool": __version__, "ctx": context})

    def findings(
        self, root: Path, path: str, text: str, compute: Callable[[], list[Finding]]
    ) -> list[Finding]:
        if self._directory is None or self._secret is None:
            return compute()
        key = self._key(root, path, text)
        target = self._directory / key[:2] / f"{key}.json"
        try:
            entry = json.loads(target.read_text())
            items = entry["findings"]
            if integrity.verify(self._secret, entry["mac"], key.encode(), _canonical(items)):
                return [Finding.from_json(item) for item in items]
            log.warning("secrets scan cache entry %s failed its integrity check", target.name)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            pass  # a miss or a damaged entry: compute again
        findings = compute()
        items = [finding.to_json() for finding in findings]
        mac = integrity.digest(self._secret, key.encode(), _canonical(items))
        _store(target, json.dumps({"mac": mac, "findings": items}))
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


def _canonical(items: object) -> bytes:
    return canonical_json(items).encode()


def _store(target: Path, text: str) -> None:
    try:
        write_atomic(target, text.encode("utf-8"))
    except OSError:
        return  # an unwritable cache only costs speed
