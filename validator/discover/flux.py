"""Flux cluster entry points: a Flux Kustomization whose source is this repository and that
no other such Kustomization's path builds (so `flux-system/gotk-sync.yaml`, whose
Kustomization builds its own cluster directory, is one; `clusters/x/apps.yaml` is not)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from validator.discover import Candidate, DiscoveryContext
from validator.model import EnvironmentSpec, FluxSpec
from validator.render.flux import api
from validator.render.flux.api import ObjectKey
from validator.render.flux.tree import static_tree


@dataclass(frozen=True, slots=True)
class _Entry:
    file: str
    key: ObjectKey
    path: str  # the Kustomization's spec.path
    source: ObjectKey


def discover(context: DiscoveryContext) -> list[Candidate]:
    scan = context.scan
    kustomizations: list[tuple[str, Mapping[str, Any]]] = []
    git_repositories: list[Mapping[str, Any]] = []
    for file in scan.files_mentioning(api.KUSTOMIZE_API[:-1]):
        kustomizations += [(file, d) for d in scan.documents(file) if api.is_flux_kustomization(d)]
    for file in scan.files_mentioning(api.SOURCE_API[:-1]):
        git_repositories += [d for d in scan.documents(file) if api.is_source(d, "GitRepository")]
    ours = api.self_sources(git_repositories, api.git_remotes(context.repo_root))
    entries = []
    for file, body in kustomizations:
        source = api.source_ref(body)
        if source is None or source.kind != "GitRepository":
            continue
        if source not in ours:
            context.notes.append(
                f"{file}: Kustomization {api.key_of(body)} builds from {source}, "
                "which is not this repository"
            )
            continue
        entries.append(_Entry(file, api.key_of(body), api.kustomization_path(body), source))
    entries += _bootstrap_placeholders(context, {entry.file for entry in entries})
    return [_candidate(context, entry) for entry in entries if _is_root(entry, entries)]


def _bootstrap_placeholders(context: DiscoveryContext, known: set[str]) -> list[_Entry]:
    """`<dir>/flux-system/` listing a gotk-sync.yaml that holds no Kustomization yet: the
    layout `flux bootstrap --path=<dir>` fills in, so the cluster is <dir> all the same."""
    found = []
    for file in context.scan.kustomization_files:
        directory = PurePosixPath(file).parent
        entry = str(directory / "gotk-sync.yaml")
        documents = context.scan.documents(file)
        listed = (
            documents[0].get("resources")
            if documents and isinstance(documents[0], Mapping)
            else None
        )
        if directory.name != "flux-system" or entry in known or not isinstance(listed, list):
            continue
        root = api.implied_bootstrap_root(entry)
        if root is None or "gotk-sync.yaml" not in listed:
            continue
        if any(api.is_flux_kustomization(d) for d in context.scan.documents(entry)):
            continue
        source = ObjectKey("GitRepository", api.BOOTSTRAP_SOURCE, api.BOOTSTRAP_SOURCE)
        found.append(_Entry(entry, api.key_of(root), api.kustomization_path(root), source))
    return found


def _is_root(entry: _Entry, entries: list[_Entry]) -> bool:
    return not any(other is not entry and _under(entry.file, other.path) for other in entries)


def _under(file: str, directory: str) -> bool:
    return directory == "" or file.startswith(directory.rstrip("/") + "/")


def _cluster_dir(entry: _Entry) -> str:
    if entry.path and _under(entry.file, entry.path):
        return entry.path
    parent = PurePosixPath(entry.file).parent
    return str(parent.parent if parent.name == "flux-system" else parent).strip(".")


def _candidate(context: DiscoveryContext, entry: _Entry) -> Candidate:
    flux = FluxSpec(entry=entry.file, name=entry.key.name, namespace=entry.key.namespace)
    tree = static_tree(context.repo_root, flux)
    cluster = _cluster_dir(entry)
    placeholder = not any(api.is_flux_kustomization(d) for d in context.scan.documents(entry.file))
    reason = (
        f"Flux: Kustomization {entry.key.namespace}/{entry.key.name} in {entry.file}"
        f"{' (a flux bootstrap placeholder)' if placeholder else ''} builds "
        f"./{entry.path} from {entry.source.kind} {entry.source.namespace}/{entry.source.name}, "
        "which is this repository"
    )
    return Candidate(
        spec=EnvironmentSpec(name="", kubernetes_version=context.kubernetes_version, flux=flux),
        path=cluster,
        reason=reason,
        units=tuple(tree.units),
        covers=tuple(sorted(tree.paths | {cluster})),
    )
