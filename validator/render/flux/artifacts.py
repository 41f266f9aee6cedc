"""ExternalArtifacts that an ArtifactGenerator makes from this repository (Flux 2.7+,
source-watcher): the `copy` rules are replayed into a scratch directory that is built in
the artifact's place, and every copied file remembers the repository file it came from.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from validator.render.flux import api
from validator.render.flux.api import ObjectKey

GENERATOR_API = "source.extensions.fluxcd.io/"
_GLOB = ("*", "?", "[")


class ArtifactUnavailable(Exception):
    """The artifact draws on a source this run cannot read (message names it)."""


@dataclass
class Artifact:
    root: Path
    origins: dict[Path, Path] = field(default_factory=dict)  # copied file → repository file


def is_artifact_generator(body: Any) -> bool:
    return (
        isinstance(body, Mapping)
        and body.get("kind") == "ArtifactGenerator"
        and str(body.get("apiVersion") or "").startswith(GENERATOR_API)
    )


def find_artifact(
    generators: Iterable[Mapping[str, Any]], key: ObjectKey
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(generator, its artifact entry) that produces ExternalArtifact `key`."""
    for generator in generators:
        if api.key_of(generator).namespace != key.namespace:
            continue
        for artifact in api.spec(generator).get("artifacts") or []:
            if isinstance(artifact, Mapping) and artifact.get("name") == key.name:
                return generator, artifact
    return None


def materialize(
    repo: Path,
    generator: Mapping[str, Any],
    artifact: Mapping[str, Any],
    is_own: Any,
    scratch: Path,
) -> Artifact:
    """Replay the artifact's copy rules from this repository into `scratch`."""
    namespace = api.key_of(generator).namespace
    aliases: dict[str, ObjectKey] = {}
    for source in api.spec(generator).get("sources") or []:
        if isinstance(source, Mapping) and source.get("alias"):
            aliases[str(source["alias"])] = ObjectKey(
                str(source.get("kind")),
                str(source.get("namespace") or namespace),
                str(source.get("name")),
            )
    result = Artifact(scratch)
    for rule in artifact.get("copy") or []:
        if isinstance(rule, Mapping):
            _copy(repo, rule, aliases, is_own, result)
    return result


def _copy(
    repo: Path,
    rule: Mapping[str, Any],
    aliases: Mapping[str, ObjectKey],
    is_own: Any,
    result: Artifact,
) -> None:
    alias, _, pattern = str(rule.get("from") or "").removeprefix("@").partition("/")
    source = aliases.get(alias)
    if source is None or not is_own(source):
        raise ArtifactUnavailable(f"copies from {source or '@' + alias}, not this repository")
    target = str(rule.get("to") or "").removeprefix("@artifact").lstrip("/")
    excludes = [str(e) for e in rule.get("exclude") or []]
    prefix = _literal_prefix(pattern)
    for file in _matches(repo, pattern):
        relative = file.relative_to(repo)
        if any(PurePosixPath(relative.as_posix()).match(e) for e in excludes):
            continue
        if any(c in pattern for c in _GLOB):
            destination = result.root / target / relative.relative_to(prefix)
        elif target.endswith("/") or not target:
            destination = result.root / target / file.name
        else:
            destination = result.root / target
        destination = destination.resolve()
        if not destination.is_relative_to(result.root.resolve()):
            continue  # a `to` that climbs out of the artifact copies nothing
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination)
        result.origins[destination] = file


def _literal_prefix(pattern: str) -> Path:
    parts = []
    for part in PurePosixPath(pattern).parts:
        if any(c in part for c in _GLOB):
            break
        parts.append(part)
    return Path(*parts) if parts else Path()


def _matches(repo: Path, pattern: str) -> list[Path]:
    if not any(c in pattern for c in _GLOB):
        single = (repo / pattern).resolve()
        return [single] if single.is_file() and single.is_relative_to(repo) else []
    if pattern.endswith("**"):
        pattern += "/*"  # Python's trailing ** matches directories only
    return sorted(
        p.resolve()
        for p in repo.glob(pattern)
        if p.is_file() and ".git" not in p.parts and p.resolve().is_relative_to(repo)
    )
