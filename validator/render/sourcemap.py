"""Map a finding on a rendered object back to the file and line a person edits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from validator.model import EnvironmentSpec, Resource, SourceLocation
from validator.render.flux.values_origin import helm_value_by_suffix, helm_value_location
from validator.render.setters import find_setter
from validator.render.yamlnodes import LocatedMap, Segment, document_at, parse_pointer, walk


class SourceMap:
    def __init__(
        self, repo_root: Path, spec: EnvironmentSpec, resources: Iterable[Resource] = ()
    ) -> None:
        self._repo = repo_root
        self._overlay = (repo_root / spec.path).resolve() if spec.path else None
        # HelmReleases by unit name: a value from their `values` is located on their line.
        self._releases = {
            f"HelmRelease/{r.ref.namespace}/{r.ref.name}": r
            for r in resources
            if r.ref.kind == "HelmRelease"
        }

    def locate(self, resource: Resource, pointer: str | None) -> SourceLocation | None:
        origin = resource.origin
        if not pointer:
            return origin
        if self._overlay:
            hit = find_setter(self._overlay, self._repo, resource, pointer)
            if hit and hit.file.is_relative_to(self._repo):
                return SourceLocation(self._relative(hit.file), hit.line, hit.column)
        if origin is None:
            return None
        segments = parse_pointer(pointer)
        found = self._in_document(origin, resource, segments) or origin
        release = self._releases.get(resource.unit or "")
        if release is not None and origin == release.origin:  # a fetched chart's object
            return helm_value_by_suffix(self._repo, segments, release) or found
        if release is not None:
            return helm_value_location(self._repo, found, segments, release) or found
        return found

    def _relative(self, path: Path) -> str:
        return path.relative_to(self._repo).as_posix()

    def _in_document(
        self, origin: SourceLocation, resource: Resource, segments: list[Segment]
    ) -> SourceLocation | None:
        path = self._repo / origin.file
        document, offset = document_at(path, origin.line)
        if not isinstance(document, LocatedMap):
            return _in_template(path, origin, segments)
        found = walk(document, segments, resource.body)
        if found is None:
            return None
        return SourceLocation(origin.file, found[0] + offset, found[1])


def _in_template(
    path: Path, origin: SourceLocation, segments: list[Segment]
) -> SourceLocation | None:
    """Helm templates are not YAML: follow the path's keys through the text by indentation."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    row, indent, found = origin.line - 1, -1, None
    for segment in (s for s in segments if isinstance(s, str)):
        pattern = re.compile(rf"^(\s*)(- )?{re.escape(segment)}:")
        for number in range(row, len(lines)):
            match = pattern.match(lines[number])
            if match and len(match.group(1)) > indent:
                row, indent = number + 1, len(match.group(1))
                found = SourceLocation(origin.file, number + 1, len(match.group(1)) + 1)
                break
            if lines[number].startswith("---") and number > origin.line - 1:
                return found
        else:
            return found
    return found
