"""Line/column lookups in source YAML with ruamel.yaml (only for files a finding points at)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

Segment = str | int
# Keys the API server (strategic merge) uses to identify list items, in order of preference.
MERGE_KEYS = (
    "name",
    "containerPort",
    "mountPath",
    "devicePath",
    "ip",
    "topologyKey",
    "key",
    "type",
)


def parse_pointer(pointer: str) -> list[Segment]:
    if not pointer or pointer == "/":
        return []
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    return [int(p) if p.isdigit() else p for p in parts]


def _version(path: Path) -> tuple[int, int]:
    """Part of the cache keys below, so a long-lived process (`reconcile`) sees edited files."""
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def load_all(path: Path) -> tuple[Any, ...]:
    return _load_all(path, _version(path))


@lru_cache(maxsize=256)
def _load_all(path: Path, version: tuple[int, int]) -> tuple[Any, ...]:
    try:
        text = path.read_text(encoding="utf-8")
        return tuple(YAML(typ="rt").load_all(text))
    except (OSError, UnicodeDecodeError, YAMLError, ValueError):  # ValueError: a plain `._`
        return ()


def _lines(path: Path) -> tuple[str, ...]:
    return _read_lines(path, _version(path))


@lru_cache(maxsize=64)
def _read_lines(path: Path, version: tuple[int, int]) -> tuple[str, ...]:
    try:
        return tuple(path.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def document_at(path: Path, line: int) -> tuple[Any, int]:
    """The document of a multi-document file that holds `line` (1-based), parsed alone, and
    the number of lines before it: a finding in a 10,000-document file parses one document."""
    lines = _lines(path)
    start = line - 1
    while start > 0 and not lines[start - 1].startswith("---"):
        start -= 1
    end = line
    while end < len(lines) and not lines[end].startswith("---"):
        end += 1
    return located_document("\n".join(lines[start:end])), start


def load_text(text: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except (YAMLError, ValueError):  # ValueError: ruamel cannot build a plain `._`
        return None


class LocatedMap(dict[Any, Any]):
    """A mapping that remembers the 0-based (line, column) of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.positions: dict[Any, tuple[int, int]] = {}


class LocatedSeq(list[Any]):
    """A sequence that remembers the 0-based (line, column) of each item."""

    def __init__(self) -> None:
        super().__init__()
        self.positions: list[tuple[int, int]] = []


def located_document(text: str) -> Any:
    """One document as Located* containers, composed by libyaml: forty times faster than
    ruamel.yaml, which matters when thousands of findings each need a line."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None
    return _located(node) if node is not None else None


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = yaml.constructor.SafeConstructor()  # typed scalars: 8080 matches containerPort 8080


def _located(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping = LocatedMap()
        for key_node, value_node in node.value:
            key = _located(key_node)
            if isinstance(key, str | int | float | bool):
                mapping[key] = _located(value_node)
                mapping.positions[key] = (key_node.start_mark.line, key_node.start_mark.column)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LocatedSeq()
        for item in node.value:
            sequence.append(_located(item))
            sequence.positions.append((item.start_mark.line, item.start_mark.column))
        return sequence
    try:
        return _SCALARS.construct_object(node)
    except yaml.YAMLError:
        return node.value
    finally:
        _SCALARS.constructed_objects.clear()


def _key_position(node: Any, key: Any) -> tuple[int, int]:
    if isinstance(node, LocatedMap):
        return node.positions[key]
    line, column = node.lc.key(key)
    return int(line), int(column)


def _item_position(node: Any, index: int) -> tuple[int, int]:
    if isinstance(node, LocatedSeq):
        return node.positions[index]
    line, column = node.lc.item(index)
    return int(line), int(column)


def walk(node: Any, segments: list[Segment], rendered: Any) -> tuple[int, int, bool] | None:
    """(line, column, complete) of the deepest node along `segments`, 1-based.

    List items are matched to the rendered object's item by merge key (a patch lists only the
    containers it changes, not all of them), falling back to the index.
    `complete` says whether the whole path exists in `node`.
    """
    found: tuple[int, int] | None = None
    for depth, segment in enumerate(segments):
        if isinstance(node, Mapping) and isinstance(segment, str) and segment in node:
            line, column = _key_position(node, segment)
            found = (line + 1, column + 1)
            node, rendered = node[segment], _child(rendered, segment)
        elif isinstance(node, list) and isinstance(segment, int):
            position = _matching_item(node, segment, rendered)
            if position is None:
                return (*found, False) if found else None
            line, column = _item_position(node, position)
            found = (line + 1, column + 1)
            node, rendered = node[position], _child(rendered, segment)
        else:
            return (*found, False) if found else None
        if depth == len(segments) - 1:
            return (*found, True)
    return (*found, True) if found else None


def _child(rendered: Any, segment: Segment) -> Any:
    if isinstance(rendered, Mapping) and isinstance(segment, str):
        return rendered.get(segment)
    if isinstance(rendered, list) and isinstance(segment, int) and segment < len(rendered):
        return rendered[segment]
    return None


def _matching_item(items: list[Any], index: int, rendered: Any) -> int | None:
    wanted = rendered[index] if isinstance(rendered, list) and index < len(rendered) else None
    if isinstance(wanted, Mapping):
        for key in MERGE_KEYS:
            if key in wanted:
                for position, item in enumerate(items):
                    if isinstance(item, Mapping) and item.get(key) == wanted[key]:
                        return position
                return None
    return index if index < len(items) else None
