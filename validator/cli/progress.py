"""Progress on a terminal: one line rewritten in place; nothing at all in CI logs or pipes."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = False

    def __call__(self, step: str) -> None:
        self._stream.write(f"\r\033[K… {step}")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False


def progress_for(stream: TextIO, quiet: bool) -> TerminalProgress | Callable[[str], None]:
    """A progress line only where a person watches: a terminal, not CI, not quiet mode."""
    isatty = getattr(stream, "isatty", None)
    if quiet or os.environ.get("CI") or not (isatty and isatty()):
        return lambda step: None
    return TerminalProgress(stream)
