"""Rendered manifests for people to read: every Secret value masked."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml_rs

MASK = "**masked**"


def masked(body: Mapping[str, Any], paths: Iterable[str] = ()) -> dict[str, Any]:
    """A copy with every Secret value, and the value at each JSON pointer in `paths`, masked."""
    copied: dict[str, Any] = copy.deepcopy(dict(body))
    if copied.get("kind") == "Secret":
        for field in ("data", "stringData"):
            values = copied.get(field)
            if isinstance(values, dict):
                copied[field] = dict.fromkeys(values, MASK)
    for pointer in paths:
        _mask_at(copied, pointer)
    return copied


def _mask_at(node: Any, pointer: str) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    for part in parts[:-1]:
        node = _child(node, part)
    last = parts[-1] if parts else ""
    if isinstance(node, dict) and last in node:
        node[last] = MASK
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = MASK


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


def manifest_stream(bodies: Iterable[Mapping[str, Any]]) -> str:
    """YAML documents with every Secret value masked."""
    documents = (str(yaml_rs.dumps(masked(body))).strip("\n") for body in bodies)
    return "".join((d if d.startswith("---") else "---\n" + d) + "\n" for d in documents)
