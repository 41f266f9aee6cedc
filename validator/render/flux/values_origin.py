"""A value a HelmRelease's `values` put into a rendered object: find that line.

The chart template line a finding points at tells which `.Values.<path>` produced the
field (`{{ .Values.x }}` on that line, or `toYaml .Values.x` in the block under it); the
rest of the finding's path continues inside that value. When the HelmRelease's own
`spec.values` holds the whole path, the HelmRelease line is where a person changes it.
"""

from __future__ import annotations

import re
from pathlib import Path

from validator.model import Resource, SourceLocation
from validator.render.yamlnodes import LocatedMap, Segment, document_at, walk

_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][\w-]*)+)")


def helm_value_location(
    repo: Path, template_hit: SourceLocation, segments: list[Segment], release: Resource
) -> SourceLocation | None:
    if release.origin is None:
        return None
    try:
        lines = (repo / template_hit.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    values_path = _values_path(lines, template_hit, segments)
    if values_path is None:
        return None
    document, offset = document_at(repo / release.origin.file, release.origin.line)
    if not isinstance(document, LocatedMap):
        return None
    found = walk(document, ["spec", "values", *values_path], release.body)
    if found is None or not found[2]:
        return None  # the HelmRelease does not set it: the chart's default does
    return SourceLocation(release.origin.file, found[0] + offset, found[1])


def _values_path(
    lines: list[str], hit: SourceLocation, segments: list[Segment]
) -> list[Segment] | None:
    row = hit.line - 1
    if not 0 <= row < len(lines):
        return None
    key = re.match(r"^(\s*)(?:- )?([\w.-]+):", lines[row])
    if key is None:
        return None
    indent, name = len(key.group(1)), key.group(2)
    consumed = _consumed(segments, name)
    if consumed is None:
        return None
    # The value is on the key's line, or the block under the key is one `toYaml .Values.x`.
    candidates = [lines[row]]
    following = next((line for line in lines[row + 1 :] if line.strip()), "")
    if "toYaml" in following and len(following) - len(following.lstrip()) > indent:
        candidates.append(following)
    for text in candidates:
        match = _VALUES_REF.search(text)
        if match:
            path: list[Segment] = list(match.group(1).strip(".").split("."))
            return path + segments[consumed:]
    return None


def _consumed(segments: list[Segment], key: str) -> int | None:
    """How many segments lead to (and include) the last occurrence of `key`."""
    for index in range(len(segments) - 1, -1, -1):
        if segments[index] == key:
            return index + 1
    return None


def helm_value_by_suffix(
    repo: Path, segments: list[Segment], release: Resource
) -> SourceLocation | None:
    """For a fetched chart (no template in this repository to read): the longest tail of the
    finding's path that the HelmRelease's `values` holds, e.g. `securityContext/privileged`."""
    if release.origin is None:
        return None
    document, offset = document_at(repo / release.origin.file, release.origin.line)
    if not isinstance(document, LocatedMap):
        return None
    keys = [s for s in segments if isinstance(s, str)]
    for length in range(len(keys), 0, -1):
        found = walk(document, ["spec", "values", *keys[-length:]], release.body)
        if found is not None and found[2]:
            return SourceLocation(release.origin.file, found[0] + offset, found[1])
    return None
