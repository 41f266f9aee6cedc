"""Parse YAML streams with yaml-rs: rendered output and source files alike."""

from __future__ import annotations

import re
from typing import Any

import yaml_rs

# Alias expansion is bounded so a "billion laughs" document is refused instead of eating memory.
ALIAS_LIMITS = yaml_rs.AliasLimits(
    max_total_replayed_events=200_000,
    max_replay_stack_depth=32,
    max_alias_expansions_per_anchor=None,
)


_LEADING_NULL = "--- null\n---\n"
_LEADING_LINES = _LEADING_NULL.count("\n")


# "Invalid value 's3cret' for '!!int' tag": the parser quotes the value itself.
_QUOTED_VALUE = re.compile(r"Invalid value '.*?' for")


class StreamError(ValueError):
    """A YAML stream that cannot be parsed; the message comes from the parser."""


def load_documents(text: str) -> list[Any]:
    """Every document of a multi-document stream, empty documents dropped.

    yaml-rs returns a single value for a one-document stream and a list for several, which is
    ambiguous when the one document is itself a list; a leading null document forces the list
    form.
    """
    try:
        documents = yaml_rs.loads(
            _LEADING_NULL + text, parse_datetime=False, alias_limits=ALIAS_LIMITS
        )
    except yaml_rs.YAMLDecodeError as error:
        raise StreamError(_shift_line(str(error))) from None
    return [document for document in documents if document is not None]


def _shift_line(message: str) -> str:
    """Undo the line offset that the leading null document added to error positions.

    The parser's source excerpt is dropped: it would quote file content, which may be a secret.
    """
    lines = message.strip().splitlines()
    message = f"{lines[0]}: {lines[-1]}" if len(lines) > 1 else message
    message = _QUOTED_VALUE.sub("Invalid value for", message)
    prefix = "YAML parse error at line "
    if message.startswith(prefix):
        number, _, rest = message[len(prefix) :].partition(",")
        if number.isdigit():
            return f"{prefix}{int(number) - _LEADING_LINES},{rest}"
    return message
