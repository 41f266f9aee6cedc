"""Sealed cache entries: a one-line header carrying an HMAC, then the payload bytes as written.

The MAC covers the payload exactly as it sits on disk, so reading an entry costs one keyed
hash and one JSON parse: nothing is re-serialised to be checked (a warm run over 10,000
objects used to spend longer re-encoding its cache than checking it). The key is the cache
directory's own (validator.integrity): an entry edited on disk, or copied from another
machine or branch, does not verify and is treated as absent.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import orjson

from validator import integrity
from validator.atomic import write_atomic

FORMAT = 3
MAX_ENTRY_BYTES = 256 * 1024 * 1024

log = logging.getLogger("gitops_validator.cache")


def read_sealed(directory: Path, path: Path, tag: bytes) -> Any:
    """The entry's value, or None when it is missing, unreadable, of another format, too large,
    or fails its integrity check (each logged: a bad entry is a miss, never an error)."""
    secret = integrity.cache_key_for(directory)
    if secret is None or not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise ValueError("too large")
        raw = path.read_bytes()
    except (OSError, ValueError):
        log.warning("cache entry %s is unreadable: not used", path.name)
        return None
    header, _, payload = raw.partition(b"\n")
    try:
        fields = orjson.loads(header)
    except orjson.JSONDecodeError:
        fields = None
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        log.info("cache entry %s has another format: not used", path.name)
        return None
    if not integrity.verify(secret, fields.get("mac"), tag, payload):
        log.warning(
            "cache entry %s failed its integrity check (edited, or written elsewhere): not used",
            path.name,
        )
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return _slow_loads(path, payload)


def write_sealed(directory: Path, path: Path, tag: bytes, value: Any) -> None:
    """Store `value` as JSON under a MAC; a read-only or full cache directory only costs speed."""
    secret = integrity.cache_key_for(directory)
    if secret is None:
        return
    try:
        payload = orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, non-string keys: the standard encoder's job
        payload = json.dumps(value).encode()
    header = orjson.dumps({"format": FORMAT, "mac": integrity.digest(secret, tag, payload)})
    try:
        write_atomic(path, header + b"\n" + payload)
    except OSError:
        return


def _slow_loads(path: Path, payload: bytes) -> Any:
    """What orjson refuses to read back (NaN, written by the standard encoder)."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):  # a MAC over bad JSON: only a bug of ours writes it
        log.warning("cache entry %s is not JSON: not used", path.name)
        return None
