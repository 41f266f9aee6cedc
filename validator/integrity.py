"""Keyed digests for on-disk caches, so that an entry nobody on this machine wrote never verifies.

A cache directory is a place other parties can write to: CI caches are restored from other
branches, and a shared runner's home is shared. Each cache directory therefore has a random key
that lives *next to* it (`<dir>.key`, mode 0600), not inside it: a CI step that caches and
restores the directory does not carry the key along, so a poisoned entry from another branch
fails its check and is rendered fresh.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
import tempfile
import threading
from functools import cache
from pathlib import Path

log = logging.getLogger("gitops_validator.cache")

KEY_BYTES = 32


def key_file(directory: Path) -> Path:
    return directory.parent / f"{directory.name}.key"


_LOCK = threading.Lock()


def cache_key_for(directory: Path) -> bytes | None:
    """The directory's key, created on first use; None when it cannot be made or trusted
    (then nothing is read from or written to the cache)."""
    with _LOCK:  # environments render in threads; one of them creates the key
        return _key_for(directory)


@cache
def _key_for(directory: Path) -> bytes | None:
    path = key_file(directory)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _create(path)
    except FileExistsError:
        pass
    except OSError as error:
        log.warning("cache disabled: cannot create its key %s (%s)", path, error.strerror)
        return None
    return _read(path)


def _create(path: Path) -> bytes:
    key = os.urandom(KEY_BYTES)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    scratch = Path(name)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(scratch, path)  # atomic, and fails if another process won the race
    finally:
        os.unlink(scratch)
    return key


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError as error:
        log.warning("cache disabled: cannot read its key %s (%s)", path, error.strerror)
        return None
    try:
        info = os.fstat(fd)
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    trusted = (
        stat.S_ISREG(info.st_mode)
        and info.st_mode & 0o077 == 0
        and info.st_uid == os.getuid()
        and len(key) == KEY_BYTES
    )
    if not trusted:
        log.warning("cache disabled: its key %s is not a private 32-byte file of ours", path)
        return None
    return key


def digest(key: bytes, *parts: bytes) -> str:
    """HMAC-SHA256 over the parts, each length-prefixed so that no two splits collide."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(len(part).to_bytes(8, "big"))
        mac.update(part)
    return mac.hexdigest()


def verify(key: bytes, expected: object, *parts: bytes) -> bool:
    return isinstance(expected, str) and hmac.compare_digest(expected, digest(key, *parts))
