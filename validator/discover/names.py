"""Environment names derived from paths: valid, lower-cased, deterministic, never colliding."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

MAX_NAME = 63
_INVALID = re.compile(r"[^a-z0-9._-]+")
_EDGES = re.compile(r"^[^a-z0-9]+|[^a-z0-9]+$")


def assign_names(paths: Sequence[str], fallback: str = "root") -> list[str]:
    """One name per path, in order: the last path component, with more components (then a
    digest of the path) only where two paths would otherwise share a name."""
    parts = [[p for p in path.split("/") if p] or [fallback] for path in paths]
    depth = [1] * len(paths)
    while True:
        names = [_name(part[-d:], path) for part, d, path in zip(parts, depth, paths, strict=True)]
        clashes = _clashing(names)
        if not clashes:
            return names
        grown = False
        for index in clashes:
            if depth[index] < len(parts[index]):
                depth[index] += 1
                grown = True
        if not grown:
            return [
                _shortened(f"{name}-{_digest(path)}", path) if i in clashes else name
                for i, (name, path) in enumerate(zip(names, paths, strict=True))
            ]


def _clashing(names: list[str]) -> set[int]:
    seen: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        seen.setdefault(name, []).append(index)
    return {i for group in seen.values() if len(group) > 1 for i in group}


def _name(components: Sequence[str], path: str) -> str:
    text = _INVALID.sub("-", "-".join(components).lower())
    text = _EDGES.sub("", re.sub(r"-{2,}", "-", text)) or _digest(path)
    return _shortened(text, path)


def _shortened(name: str, path: str) -> str:
    if len(name) <= MAX_NAME:
        return name
    return f"{_EDGES.sub('', name[: MAX_NAME - 9])}-{_digest(path)}"


def _digest(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:8]
