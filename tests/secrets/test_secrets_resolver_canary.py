"""Canary test of the apply-time resolver: no secret value escapes through any success or failure.

Every case (canary_cases.py) stores unique canary strings where the secrets and credentials
live, runs the resolver, and then looks for the canaries in the exception (message, repr,
traceback and every chained exception), in everything logged at DEBUG, and in every file of the
temporary directory that appeared or changed while the resolver ran.
"""

from __future__ import annotations

import base64
import logging
import os
import stat
import tempfile
import time
import traceback
from pathlib import Path

import pytest
from canary_cases import CASES
from canary_world import World
from openbao_support import OpenBao
from secrets_support import AgeKey, Encrypt

MAX_SCANNED_BYTES = 5 * 1024 * 1024


def written_since(start: float) -> list[str]:
    """Files under the temporary directory written (or created) since `start` (1 s of slack)."""
    found: list[str] = []
    for directory, _, names in os.walk(tempfile.gettempdir(), onerror=lambda _: None):
        for name in names:
            path = os.path.join(directory, name)
            try:
                status = os.stat(path, follow_symlinks=False)
            except OSError:
                continue
            # Only regular files: opening a FIFO another test left in /tmp would block forever.
            regular = stat.S_ISREG(status.st_mode)
            if regular and max(status.st_mtime, status.st_ctime) >= start - 1:
                found.append(path)
    return found


def new_entries(before: set[str]) -> list[str]:
    """Top-level entries of the temporary directory that were not there before, walked."""
    root = tempfile.gettempdir()
    paths: list[str] = []
    for name in set(os.listdir(root)) - before:
        top = os.path.join(root, name)
        paths.append(top)
        for directory, _, names in os.walk(top, onerror=lambda _: None):
            paths += [os.path.join(directory, entry) for entry in names]
    return [path for path in paths if os.path.isfile(path)]


def leaked_into(paths: list[str], canaries: list[str]) -> list[str]:
    hits = []
    for path in paths:
        try:
            if os.path.getsize(path) > MAX_SCANNED_BYTES:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        hits += [f"{path}: {c}" for c in canaries if c.encode() in data]
    return hits


def exception_texts(error: BaseException) -> str:
    """Message, repr and full traceback of the error and every exception chained to it."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *traceback.format_exception(current)]
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


@pytest.mark.parametrize("case", list(CASES))
def test_no_canary_escapes(
    case: str,
    openbao: OpenBao,
    encrypt: Encrypt,
    dev_key: AgeKey,
    prod_key: AgeKey,
    tmp_path: Path,
    clean_home: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    build, expected = CASES[case]
    world = World(openbao, tmp_path, Path(clean_home), encrypt, dev_key, prod_key)
    run = build(world)
    assert world.canaries or case in ("missing_path",), "every case plants a canary"
    caplog.set_level(logging.DEBUG)
    listing, start = set(os.listdir(tempfile.gettempdir())), time.time()
    outcome: object = None
    if expected is None:
        outcome = run()
    else:
        with pytest.raises(expected) as raised:
            run()
        text = exception_texts(raised.value)
        assert not [c for c in world.canaries if c in text], text
    assert not [c for c in world.canaries if c in caplog.text], "canary in the logs"
    written = new_entries(listing) + written_since(start)
    assert leaked_into(written, world.canaries) == []
    if case == "check_refs":
        assert outcome == []
    elif expected is None:  # the resolver really fetched: a canary is in what it returned
        shown = repr(outcome)
        assert any(
            c in shown or base64.b64encode(c.encode()).decode() in shown for c in world.canaries
        )
