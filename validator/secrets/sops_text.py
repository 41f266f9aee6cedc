"""Line-oriented helpers: sops' dotenv and INI stores, flattened metadata, line lookup."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from validator.model import ValidatorError

Entry = tuple[tuple[str, ...], str, int]  # (keys, raw value, 1-based line)

# stores/flatten.go: nested metadata becomes `key__list_0__map_child`
_FLAT_TOKEN = re.compile(r"__list_(\d+)|__map_(.*?)(?=__list_\d+|__map_|$)")


class SopsParseError(ValidatorError):
    """A file that cannot be read as its store; carries a line, never file content."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n")


def parse_dotenv(lines: Sequence[str]) -> list[Entry]:
    entries: list[Entry] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise SopsParseError("not a KEY=VALUE line", number)
        entries.append(((key.strip(),), _unescape(value), number))
    return entries


def parse_ini(lines: Sequence[str]) -> list[Entry]:
    entries: list[Entry] = []
    section = "DEFAULT"
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise SopsParseError("not a `key = value` line", number)
        entries.append(((section, key.strip()), _unescape(value.strip()), number))
    return entries


def unflatten(flat: dict[str, str]) -> dict[str, Any]:
    """Rebuild the metadata tree from `age__list_0__map_recipient`-style keys."""
    root: dict[str, Any] = {}
    for flat_key, value in flat.items():
        head, _, rest = flat_key.partition("__")
        steps: list[str | int] = [head]
        if rest:
            steps.extend(_step(match) for match in _FLAT_TOKEN.finditer("__" + rest))
        _assign(root, steps, value)
    return root


def _step(match: re.Match[str]) -> str | int:
    return int(match.group(1)) if match.group(1) is not None else match.group(2)


def _assign(node: Any, steps: list[str | int], value: str) -> None:
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        if following is None:
            _put(node, step, value)
            return
        child = _get(node, step)
        if child is None:
            child = [] if isinstance(following, int) else {}
            _put(node, step, child)
        node = child


def _get(node: Any, step: str | int) -> Any:
    if isinstance(node, list) and isinstance(step, int):
        return node[step] if step < len(node) else None
    return node.get(step) if isinstance(node, dict) else None


def _put(node: Any, step: str | int, value: Any) -> None:
    if isinstance(node, list) and isinstance(step, int):
        while len(node) <= step:
            node.append(None)
        node[step] = value
    elif isinstance(node, dict):
        node[str(step)] = value


def first_line_of(lines: Sequence[str], needle: str) -> int:
    return next((number for number, line in enumerate(lines, 1) if needle in line), 1)


def line_finder(lines: Sequence[str]) -> Callable[[str], int]:
    """Line of the next `"key"` at or after the previous hit: JSON keys come in document order."""
    cursor = 0

    def find(key: str) -> int:
        nonlocal cursor
        needle = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for index in range(cursor, len(lines)):
            if needle in lines[index]:
                cursor = index
                return index + 1
        return cursor + 1

    return find
