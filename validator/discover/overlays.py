"""Plain Kustomize leaf overlays: a kustomization no other kustomization references, that is
not a `kind: Component`, and that no Flux or Argo CD environment already builds."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from validator.discover import Candidate, DiscoveryContext
from validator.model import EnvironmentSpec


def discover(context: DiscoveryContext) -> list[Candidate]:
    scan = context.scan
    kustomizations: dict[str, Mapping[str, Any]] = {}
    referenced: set[str] = set()
    for file in scan.kustomization_files:
        documents = scan.documents(file)
        body = documents[0] if len(documents) == 1 and isinstance(documents[0], Mapping) else None
        directory = posixpath.dirname(file)
        if body is None:
            context.notes.append(f"{file}: not a single YAML mapping, not an environment")
            continue
        if body.get("kind") == "Component":
            continue  # components patch what includes them: never an environment
        kustomizations[directory] = body
        referenced.update(_references(directory, body))
    candidates = []
    for directory in sorted(kustomizations):
        if directory in referenced:
            continue  # a base: another kustomization builds it
        if context.is_covered(directory):
            context.notes.append(f"{directory}: built by an environment found earlier")
            continue
        candidates.append(
            Candidate(
                spec=EnvironmentSpec(
                    name="", kubernetes_version=context.kubernetes_version, path=directory or "."
                ),
                path=directory,
                reason=f"Kustomize: {directory or '.'} is a kustomization no other one references",
                covers=(directory,),
            )
        )
    return candidates


def _references(directory: str, body: Mapping[str, Any]) -> Iterator[str]:
    for key in ("resources", "bases", "components"):
        entries = body.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str) and "://" not in entry and not entry.startswith("git@"):
                yield posixpath.normpath(posixpath.join(directory, entry)).removeprefix("./")
