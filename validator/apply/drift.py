"""Drift: the server-side dry-run result compared with the live object (apply-anchors §1.4).

Both sides are server output (defaulted, canonicalised), so the comparison is low-noise:
labels, annotations, and the body without `metadata` and `status`, after removing the
ignored JSON pointers from both. Each differing field is reported with before/after values
(masked where sensitive) and the field manager that last wrote the live value.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from validator.apply.prepare import LAST_APPLIED, MASK, Redactor
from validator.apply.report import DriftedField

_ABSENT = object()
ALWAYS_SENSITIVE = ("/data", "/stringData")  # of Secrets
SENSITIVE_ANNOTATIONS = (f"/metadata/annotations/{LAST_APPLIED.replace('/', '~1')}",)


def compare(
    live: Mapping[str, Any],
    dry_run: Mapping[str, Any],
    *,
    ignore: Sequence[str] = (),
    sensitive: Sequence[str] = (),
    is_secret: bool = False,
    redactor: Redactor | None = None,
) -> tuple[DriftedField, ...]:
    """Every field the apply would change; empty when the object is in sync."""
    before, after = _comparable(live, ignore), _comparable(dry_run, ignore)
    masked = (*sensitive, *SENSITIVE_ANNOTATIONS, *(ALWAYS_SENSITIVE if is_secret else ()))
    managed = live.get("metadata", {}).get("managedFields") or []
    return tuple(
        _field(path, old, new, masked, redactor, owner(managed, live, path))
        for path, old, new in differences(before, after)
    )


def _comparable(body: Mapping[str, Any], ignore: Sequence[str]) -> dict[str, Any]:
    metadata = body.get("metadata") or {}
    view = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("metadata", "status")}
    view["metadata"] = {
        "labels": copy.deepcopy(metadata.get("labels") or {}),
        "annotations": copy.deepcopy(metadata.get("annotations") or {}),
    }
    for pointer in ignore:
        remove_pointer(view, pointer)
    return view


def differences(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            child = f"{path}/{escape(str(key))}"
            yield from differences(before.get(key, _ABSENT), after.get(key, _ABSENT), child)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from differences(old, new, f"{path}/{index}")
    elif before != after:
        yield path, before, after


def _field(
    path: str,
    before: Any,
    after: Any,
    masked: Sequence[str],
    redactor: Redactor | None,
    manager: str | None,
) -> DriftedField:
    hidden = any(path == prefix or path.startswith(prefix + "/") for prefix in masked)
    if not hidden and redactor is not None:
        hidden = any(redactor.reveals(json.dumps(v)) for v in (before, after) if v is not _ABSENT)
    if hidden:
        both = before is not _ABSENT and after is not _ABSENT
        before = f"{MASK} (before)" if both else MASK
        after = f"{MASK} (after)" if both else MASK
    return DriftedField(
        path=path,
        before=None if before is _ABSENT else before,
        after=None if after is _ABSENT else after,
        manager=manager,
    )


def owner(managed: Sequence[Mapping[str, Any]], live: Mapping[str, Any], path: str) -> str | None:
    """The manager whose FieldsV1 covers `path` most specifically in the live object."""
    parts = [unescape(part) for part in path.split("/")[1:]]
    best: tuple[int, str] | None = None
    for entry in managed:
        depth = _covered_depth(entry.get("fieldsV1") or {}, live, parts)
        if depth and (best is None or depth > best[0]):
            best = (depth, str(entry.get("manager")))
    return best[1] if best else None


def _covered_depth(tree: Mapping[str, Any], live: Any, parts: Sequence[str]) -> int:
    """How deep the manager's field set follows `parts`; 0 unless it reaches a leaf it owns."""
    node, value = tree, live
    for depth, part in enumerate(parts):
        key = _field_key(node, value, part)
        if key is None:
            return 0
        node = node[key]
        value = _child(value, part)
        if not any(k.startswith(("f:", "k:", "i:", "v:")) for k in node):
            return depth + 1  # a leaf: the manager owns everything below it
    return len(parts)


def _field_key(node: Mapping[str, Any], value: Any, part: str) -> str | None:
    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
        item = value[int(part)]
        if f"i:{part}" in node:
            return f"i:{part}"
        for key in node:
            if key.startswith("k:") and _key_matches(key[2:], item):
                return key
            if key.startswith("v:") and key[2:] == json.dumps(item, separators=(",", ":")):
                return key
        return None
    return f"f:{part}" if f"f:{part}" in node else None


def _key_matches(encoded: str, item: Any) -> bool:
    try:
        wanted = json.loads(encoded)
    except json.JSONDecodeError:
        return False
    return isinstance(item, Mapping) and all(item.get(k) == v for k, v in wanted.items())


def _child(value: Any, part: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(part)
    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
        return value[int(part)]
    return None


def remove_pointer(body: dict[str, Any], pointer: str) -> None:
    parts = [unescape(part) for part in pointer.split("/")[1:]]
    node: Any = body
    for part in parts[:-1]:
        node = _child(node, part)
        if node is None:
            return
    if not parts:
        return
    last = parts[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node.pop(int(last))


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
