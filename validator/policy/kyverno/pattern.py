"""Kyverno `validate.pattern`: anchors, wildcards and operators in strings.

Follows Kyverno's validate/anchor/pattern packages (reference/kyverno-classic-anchors.md §2),
including their quirks: conditional-anchor failures skip, sibling failures next to a failed
conditional anchor are ignored, and a missing value counts as 0 in numeric comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validator.policy.kyverno.scalars import operator_of, string_patterns, validate_value
from validator.policy.kyverno.values import has_wildcard, wildcard_match

__all__ = ["match_pattern", "operator_of", "string_patterns", "validate_value"]

_ANCHOR = re.compile(r"^([+<=X^])?\((.+)\)$")
_CONDITIONAL_TEXT = "conditional anchor mismatch"
_GLOBAL_TEXT = "global anchor mismatch"
_NEGATION_TEXT = "negation anchor matched in resource"


def parse_anchor(key: str) -> tuple[str, str] | None:
    """(modifier, key) for an anchored key; modifier "" is the conditional anchor."""
    match = _ANCHOR.match(key.strip())
    return (match.group(1) or "", match.group(2)) if match else None


@dataclass(frozen=True, slots=True)
class PatternFailure:
    """kind: conditional | global | negation (typed anchor errors), pattern (a skip bubbling up
    from a nested map or list) or plain."""

    kind: str
    message: str

    @property
    def skips(self) -> bool:
        if self.kind in ("conditional", "global"):
            return True
        if self.kind == "negation":
            return False
        return _CONDITIONAL_TEXT in self.message or _GLOBAL_TEXT in self.message

    @property
    def negates(self) -> bool:
        return self.kind == "negation" or (
            self.kind not in ("conditional", "global") and _NEGATION_TEXT in self.message
        )


@dataclass(frozen=True, slots=True)
class PatternResult:
    status: str  # pass | skip | fail | error
    path: str = ""
    message: str = ""


Step = tuple[str, PatternFailure | None]
_OK: Step = ("", None)


class _Walk:
    def __init__(self) -> None:
        self.anchors: dict[str, bool] = {}  # conditional/existence/negation keys: seen present?

    def element(self, value: Any, pattern: Any, path: str) -> Step:
        if isinstance(pattern, Mapping):
            if not isinstance(value, Mapping):
                return path, PatternFailure("plain", f"different structures at {path}")
            self._note(pattern, value)
            return self.map(value, pattern, path)
        if isinstance(pattern, list):
            if not isinstance(value, list):
                return path, PatternFailure("plain", f"validation rule failed at path {path}")
            return self.array(value, pattern, path)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not validate_value(item, pattern):
                return path, PatternFailure(
                    "plain", f"resource value {item!r} does not match {pattern!r} at path {path}"
                )
        return _OK

    def _note(self, pattern: Mapping[str, Any], value: Mapping[str, Any]) -> None:
        for key in pattern:
            anchor = parse_anchor(key)
            if anchor and anchor[0] in ("", "^", "X") and not self.anchors.get(key):
                self.anchors[key] = anchor[1] in value

    def map(self, value: Mapping[str, Any], pattern: Mapping[str, Any], path: str) -> Step:
        expanded = expand_metadata_wildcards(pattern, value)
        anchored, plain, order = _split(expanded) if expanded is not pattern else _cached(pattern)
        skips: list[PatternFailure] = []
        applied = 0
        for key in sorted(anchored):
            where, failure = self.handle(key, anchored[key], value, path)
            if failure is None:
                applied += 1
            elif failure.skips:
                skips.append(failure)
            elif not any(s.kind != "pattern" for s in skips):
                return where, failure
        if skips and (applied == 0 or any(s.kind != "pattern" for s in skips)):
            text = "; ".join(s.message for s in skips)
            return path, PatternFailure("pattern", text)
        for key in order:
            where, failure = self.handle(key, plain[key], value, path)
            if failure is not None:
                return where, failure
        return _OK

    def handle(self, key: str, pattern: Any, value: Mapping[str, Any], path: str) -> Step:
        anchor = parse_anchor(key)
        modifier, name = anchor if anchor and anchor[0] != "+" else (None, key)
        here = f"{path}{name}/"
        present = name in value
        if modifier == "X":
            if present:
                return here, PatternFailure("negation", f"{_NEGATION_TEXT}: {here} is not allowed")
            return _OK
        if modifier in ("=", "<", ""):
            if not present:
                if modifier == "":
                    return here, PatternFailure("conditional", f"{_CONDITIONAL_TEXT}: {here}")
                return _OK
            where, failure = self.element(value[name], pattern, here)
            if failure is None or modifier == "=":
                return where, failure
            kind = "conditional" if modifier == "" else "global"
            text = _CONDITIONAL_TEXT if modifier == "" else _GLOBAL_TEXT
            return where, PatternFailure(kind, f"{text}: {failure.message}")
        if modifier == "^":
            return self.existence(value.get(name), pattern, here) if present else _OK
        if pattern == "*":
            if value.get(name) is not None:
                return _OK
            return path, PatternFailure("plain", f"{path}/{name} not found")
        return self.element(value.get(name), pattern, here)

    def existence(self, value: Any, pattern: Any, path: str) -> Step:
        if not isinstance(value, list):
            return path, PatternFailure("plain", "existence anchor needs a list in the resource")
        if not isinstance(pattern, list):
            return path, PatternFailure("plain", "existence anchor needs a list pattern")
        for item in pattern:
            if not isinstance(item, Mapping):
                return path, PatternFailure("plain", "existence anchor list items must be maps")
            if not any(
                self.element(v, item, f"{path}{i}/")[1] is None for i, v in enumerate(value)
            ):
                return path, PatternFailure("plain", f"existence anchor failed at path {path}")
        return _OK

    def array(self, value: list[Any], pattern: list[Any], path: str) -> Step:
        if not pattern:
            return path, PatternFailure("plain", "pattern array empty")
        first = pattern[0]
        if isinstance(first, Mapping):
            return self._each(value, first, path)
        if not isinstance(first, list):
            return self.element(value, first, path)
        if len(value) < len(pattern):
            return "", PatternFailure("plain", "array length mismatch")
        return self._indexed(value, pattern, path)

    def _each(self, value: list[Any], pattern: Mapping[str, Any], path: str) -> Step:
        skips, applied = [], 0
        for index, item in enumerate(value):
            where, failure = self.element(item, pattern, f"{path}{index}/")
            if failure is None:
                applied += 1
            elif failure.skips:
                skips.append(failure.message)
            else:
                return where, failure
        if applied == 0 and skips:
            return path, PatternFailure("pattern", "; ".join(skips))
        return _OK

    def _indexed(self, value: list[Any], pattern: list[Any], path: str) -> Step:
        skips, applied = [], 0
        for index, item in enumerate(pattern):
            where, failure = self.element(value[index], item, f"{path}{index}/")
            if failure is None:
                applied += 1
            elif failure.skips:
                skips.append(failure.message)
            else:
                return where, failure
        if applied == 0 and skips:
            return path, PatternFailure("pattern", "; ".join(skips))
        return _OK


Split = tuple[dict[str, Any], dict[str, Any], list[str]]
_SPLITS: dict[int, tuple[Mapping[str, Any], Split]] = {}


def _split(pattern: Mapping[str, Any]) -> Split:
    """Phase-1 anchors (conditional, equality, existence, negation), the rest, and its order."""
    anchored = {k: v for k, v in pattern.items() if (a := parse_anchor(k)) and a[0] in "=^X"}
    plain = {k: v for k, v in pattern.items() if k not in anchored}
    return anchored, plain, _ordered(plain)


def _cached(pattern: Mapping[str, Any]) -> Split:
    """Policies' patterns live as long as the policy: split each once (keyed by identity)."""
    entry = _SPLITS.get(id(pattern))
    if entry is None or entry[0] is not pattern:
        if len(_SPLITS) > 10_000:
            _SPLITS.clear()
        entry = _SPLITS[id(pattern)] = (pattern, _split(pattern))
    return entry[1]


def _has_anchors(pattern: Any) -> bool:
    if isinstance(pattern, Mapping):
        return any((a := parse_anchor(k)) and a[0] in "=^X<" for k in pattern) or any(
            _has_anchors(v) for v in pattern.values()
        )
    if isinstance(pattern, list):
        return any(_has_anchors(v) for v in pattern)
    return False


def _ordered(plain: Mapping[str, Any]) -> list[str]:
    """Global anchors and keys holding anchors first (each pushed to the front), then the rest."""
    front: list[str] = []
    back: list[str] = []
    for key in sorted(plain):
        anchor = parse_anchor(key)
        if (anchor and anchor[0] == "<") or _has_anchors(plain[key]):
            front.insert(0, key)
        else:
            back.append(key)
    return front + back


def match_pattern(resource: Any, pattern: Any) -> PatternResult:
    walk = _Walk()
    path, failure = walk.element(resource, pattern, "/")
    if failure is None:
        return PatternResult("pass")
    if failure.skips:
        return PatternResult("skip", "", failure.message)
    if failure.negates:
        return PatternResult("fail", path, failure.message)
    if any(not seen for key, seen in walk.anchors.items() if not key.startswith("X(")):
        return PatternResult("error", "", failure.message)
    return PatternResult("fail", path, failure.message)


# --- metadata wildcards -----------------------------------------------------------------


def expand_metadata_wildcards(pattern: Mapping[str, Any], value: Mapping[str, Any]) -> Any:
    """Wildcard keys under metadata.labels/annotations name the first matching resource key."""
    meta_key = _key_named(pattern, "metadata")
    metadata = value.get("metadata")
    if meta_key is None or not isinstance(metadata, Mapping):
        return pattern
    pattern_meta = pattern[meta_key]
    if not isinstance(pattern_meta, Mapping):
        return pattern
    new_meta = dict(pattern_meta)
    for tag in ("labels", "annotations"):
        tag_key = _key_named(pattern_meta, tag)
        resource_tag = metadata.get(tag) if isinstance(metadata, Mapping) else None
        if tag_key is None or not isinstance(pattern_meta[tag_key], Mapping):
            continue
        if not isinstance(resource_tag, Mapping):
            continue
        strings = {k: v for k, v in resource_tag.items() if isinstance(v, str)}
        new_meta[tag_key] = {_expand_key(k, strings): v for k, v in pattern_meta[tag_key].items()}
    return {**pattern, meta_key: new_meta}


def _expand_key(key: str, resource: Mapping[str, str]) -> str:
    if not has_wildcard(key):
        return key
    anchor = parse_anchor(key)
    bare = anchor[1] if anchor else key
    found = next((k for k in resource if wildcard_match(bare, k)), bare)
    return f"{anchor[0]}({found})" if anchor else found


def _key_named(pattern: Mapping[str, Any], name: str) -> str | None:
    for key in pattern:
        anchor = parse_anchor(key)
        if key == name or (anchor and anchor[1] == name):
            return str(key)
    return None
