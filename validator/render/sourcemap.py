"""Map a finding on a rendered object back to the file and line a person edits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from validator.model import EnvironmentSpec, Resource, Settings, SourceLocation
from validator.render.cache import RenderCache
from validator.render.environment import RenderPlan
from validator.render.setters import SetterIndex
from validator.render.yamlnodes import LocatedMap, Segment, document_at, parse_pointer, walk

# (object key, JSON pointer) → where it is set, or None: what a run has located so far.
Answers = dict[tuple[str, str], SourceLocation | None]


class SourceMap:
    """Locating is proportional to the source, not to the findings: every source document is
    parsed once per run, every object's setter chain computed once, and every (object, pointer)
    answered once; `answers` can be kept with the render (see `known`) so a warm run with the
    same findings only looks them up."""

    def __init__(
        self,
        repo_root: Path,
        spec: EnvironmentSpec,
        resources: Iterable[Resource] = (),
        known: Mapping[tuple[str, str], SourceLocation | None] | None = None,
    ) -> None:
        self._repo = repo_root
        # HelmReleases by unit name: a value from their `values` is located on their line.
        self._releases = {
            f"HelmRelease/{r.ref.namespace}/{r.ref.name}": r
            for r in resources
            if r.ref.kind == "HelmRelease"
        }
        overlay = (repo_root / spec.path).resolve() if spec.path else None
        self._setters = SetterIndex(overlay, repo_root) if overlay else None
        self._documents: dict[tuple[str, int], tuple[Any, int]] = {}
        self.answers: Answers = dict(known or {})
        self.learned = 0  # answers computed in this run (0: nothing new to keep)

    def locate(self, resource: Resource, pointer: str | None) -> SourceLocation | None:
        if not pointer:
            return resource.origin
        key = (_object_key(resource), pointer)
        if key in self.answers:
            return self.answers[key]
        location = self._locate(resource, pointer)
        self.answers[key] = location
        self.learned += 1
        return location

    def _locate(self, resource: Resource, pointer: str) -> SourceLocation | None:
        origin = resource.origin
        if self._setters:
            hit = self._setters.find(resource, pointer)
            if hit and hit.file.is_relative_to(self._repo):
                return SourceLocation(self._relative(hit.file), hit.line, hit.column)
        if origin is None:
            return None
        segments = parse_pointer(pointer)
        found = self._in_document(origin, resource, segments) or origin
        release = self._releases.get(resource.unit or "")
        if release is not None and origin == release.origin:  # a fetched chart's object
            from validator.render.flux.values_origin import helm_value_by_suffix

            return helm_value_by_suffix(self._repo, segments, release) or found
        if release is not None:
            from validator.render.flux.values_origin import helm_value_location

            return helm_value_location(self._repo, found, segments, release) or found
        return found

    def _relative(self, path: Path) -> str:
        return path.relative_to(self._repo).as_posix()

    def _document(self, origin: SourceLocation) -> tuple[Any, int]:
        key = (origin.file, origin.line)
        if key not in self._documents:
            self._documents[key] = document_at(self._repo / origin.file, origin.line)
        return self._documents[key]

    def _in_document(
        self, origin: SourceLocation, resource: Resource, segments: list[Segment]
    ) -> SourceLocation | None:
        document, offset = self._document(origin)
        if not isinstance(document, LocatedMap):
            return _in_template(self._repo / origin.file, origin, segments)
        found = walk(document, segments, resource.body)
        if found is None:
            return None
        return SourceLocation(origin.file, found[0] + offset, found[1])


def _object_key(resource: Resource) -> str:
    return f"{resource.ref.api_version} {resource.ref.key}"


def source_map_for(
    plan: RenderPlan, settings: Settings, resources: Iterable[Resource] = ()
) -> SourceMap:
    """The environment's source map, with the answers kept with its render when there are."""
    known: dict[tuple[str, str], SourceLocation | None] = {}
    if plan.cache_key and settings.use_cache:
        for entry in RenderCache(settings.cache_dir).get_locations(plan.cache_key) or []:
            if isinstance(entry, list) and len(entry) == 5:
                obj, pointer, file, line, column = entry
                known[(str(obj), str(pointer))] = (
                    SourceLocation(str(file), int(line), int(column)) if file else None
                )
    return SourceMap(settings.repo_root, plan.spec, resources, known)


def keep_source_map(plan: RenderPlan, source_map: SourceMap, settings: Settings) -> None:
    """Keep new answers with the render: the cache key covers every file they were read from."""
    if not (plan.cache_key and settings.use_cache and source_map.learned):
        return
    entries = [
        [obj, pointer, *((at.file, at.line, at.column) if at else (None, 0, 0))]
        for (obj, pointer), at in source_map.answers.items()
    ]
    RenderCache(settings.cache_dir).put_locations(plan.cache_key, entries)


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
