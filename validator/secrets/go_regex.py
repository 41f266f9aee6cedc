"""Regular expressions as sops (Go's regexp, RE2 syntax) reads them, through Google's RE2.

`.sops.yaml` rules and `encrypted_regex`-style selectors are Go regular expressions: Python's `re`
rejects some that Go accepts (a scoped flag group such as `((?i)(pass|token))`) and accepts some
Go rejects (look-arounds, back-references). RE2 is the engine Go's syntax was made from, so a
pattern compiles here exactly when sops can use it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print parse errors on stderr; we report them ourselves


class GoRegexError(ValueError):
    """The pattern is not valid RE2/Go syntax; the message says why, never the pattern."""


@lru_cache(maxsize=512)
def compile_go(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise GoRegexError(text.split(":")[0] or "invalid regular expression") from None


def go_search(pattern: str, text: str) -> bool:
    """Unanchored search, as Go's `MatchString` (sops' path_regex and selectors use it)."""
    return compile_go(pattern).search(text) is not None


def go_compiles(pattern: str) -> bool:
    try:
        compile_go(pattern)
    except GoRegexError:
        return False
    return True
