"""Line/column lookups in source YAML with ruamel.yaml (only for files a finding points at)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
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


@lru_cache(maxsize=256)
def load_all(path: Path) -> tuple[Any, ...]:
    try:
        text = path.read_text(encoding="utf-8")
        return tuple(YAML(typ="rt").load_all(text))
    except (OSError, UnicodeDecodeError, YAMLError):
        return ()


def load_text(text: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except YAMLError:
        return None


def start_line(node: Any) -> int:
    """1-based line of a node's first key or item."""
    return int(node.lc.line) + 1 if isinstance(node, CommentedMap | CommentedSeq) else 1


def walk(node: Any, segments: list[Segment], rendered: Any) -> tuple[int, int, bool] | None:
    """(line, column, complete) of the deepest node along `segments`, 1-based.

    List items are matched to the rendered object's item by merge key (a patch lists only the
    containers it changes, not all of them), falling back to the index.
    `complete` says whether the whole path exists in `node`.
    """
    found: tuple[int, int] | None = None
    for depth, segment in enumerate(segments):
        if isinstance(node, CommentedMap) and isinstance(segment, str) and segment in node:
            line, column = node.lc.key(segment)
            found = (line + 1, column + 1)
            node, rendered = node[segment], _child(rendered, segment)
        elif isinstance(node, CommentedSeq) and isinstance(segment, int):
            position = _matching_item(node, segment, rendered)
            if position is None:
                return (*found, False) if found else None
            line, column = node.lc.item(position)
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


def _matching_item(items: CommentedSeq, index: int, rendered: Any) -> int | None:
    wanted = rendered[index] if isinstance(rendered, list) and index < len(rendered) else None
    if isinstance(wanted, Mapping):
        for key in MERGE_KEYS:
            if key in wanted:
                for position, item in enumerate(items):
                    if isinstance(item, Mapping) and item.get(key) == wanted[key]:
                        return position
                return None
    return index if index < len(items) else None
