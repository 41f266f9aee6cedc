"""A Flux cluster's tree read from source files, without building anything.

The walk follows each Kustomization's `path` (and components) and each HelmRelease's local
chart, so it knows the files a render will read (the render cache key) and the units a
cluster holds (`envs`). Objects a kustomize build would produce but no source file holds
(generated, patched or substituted paths) are beyond it: the tree is then incomplete, and
the render, which sees everything, is the authority.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_yaml_text
from validator.model import FluxSpec
from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.api import ObjectKey
from validator.render.flux.artifacts import (
    Artifact,
    ArtifactUnavailable,
    find_artifact,
    is_artifact_generator,
    materialize,
)
from validator.render.flux.generate import generated_resources
from validator.render.flux.hr_chart import ChartBroken, ChartSkipped, RemoteChart, resolve_chart
from validator.render.flux.substitute import substitute
from validator.render.inputs import collect_inputs, kustomization_file
from validator.render.stream import StreamError, load_documents


@dataclass
class StaticTree:
    files: set[Path] = field(default_factory=set)  # absolute, resolved
    units: list[str] = field(default_factory=list)  # "Kind/namespace/name", in walk order
    paths: set[str] = field(default_factory=set)  # repository-relative directories built
    complete: bool = True
    remote_charts: list[RemoteChart] = field(default_factory=list)  # HelmReleases' charts


def root_kustomization(repo: Path, flux: FluxSpec) -> Mapping[str, Any] | None:
    for body in _documents(repo / flux.entry):
        if api.is_flux_kustomization(body):
            key = api.key_of(body)
            if (key.namespace, key.name) == (flux.namespace, flux.name):
                return dict(body)
    if any(api.is_flux_kustomization(body) for body in _documents(repo / flux.entry)):
        return None
    if (flux.namespace, flux.name) != (api.BOOTSTRAP_SOURCE, api.BOOTSTRAP_SOURCE):
        return None
    return api.implied_bootstrap_root(flux.entry)


def static_tree(repo: Path, flux: FluxSpec) -> StaticTree:
    repo = repo.resolve()
    tree = StaticTree(files={(repo / flux.entry).resolve()})
    root = root_kustomization(repo, flux)
    if root is None:
        tree.complete = False
        return tree
    with tempfile.TemporaryDirectory(prefix="gitops-validator-tree-") as scratch:
        _Walk(repo, tree, root, Path(scratch)).run()
    return tree


class _Walk:
    def __init__(
        self, repo: Path, tree: StaticTree, root: Mapping[str, Any], scratch: Path
    ) -> None:
        self.repo, self.tree, self.scratch = repo, tree, scratch
        self.remotes = api.git_remotes(repo)
        self.own = {ref for ref in [api.source_ref(root)] if ref}
        self.git_repositories: list[Mapping[str, Any]] = []
        self.generators: list[Mapping[str, Any]] = []
        self.queue: deque[Mapping[str, Any]] = deque([root])
        self.config_maps: dict[ObjectKey, Mapping[str, Any]] = {}
        self.built: list[Document] = []
        self.releases: list[Mapping[str, Any]] = []

    def is_own(self, ref: ObjectKey) -> bool:
        return ref in self.own | api.self_sources(self.git_repositories, self.remotes)

    def run(self) -> None:
        seen: set[ObjectKey] = set()
        while self.queue:
            kustomization = self.queue.popleft()
            key = api.key_of(kustomization)
            if key not in seen:
                seen.add(key)
                self.tree.units.append(str(key))
                self.visit(kustomization)
        for release in self.releases:
            _record_remote_chart(self.repo, release, self.built, self.is_own, self.tree)

    def visit(self, kustomization: Mapping[str, Any]) -> None:
        source = api.source_ref(kustomization)
        artifact = None
        if source is not None and source.kind == "ExternalArtifact":
            found = find_artifact(self.generators, source)
            if found is None:
                return
            directory = self.scratch / str(len(list(self.scratch.iterdir())))
            directory.mkdir()
            try:
                artifact = materialize(self.repo, *found, self.is_own, directory)
            except ArtifactUnavailable:
                return
        elif source is None or not self.is_own(source):
            return  # another repository: the render reports it as skipped
        built = list(_built_objects(self.repo, kustomization, self.tree, artifact))
        self.built += [Document(dict(b), None) for b in built]
        self.config_maps.update((api.key_of(b), b) for b in built if b.get("kind") == "ConfigMap")
        variables = _static_variables(kustomization, self.config_maps)
        for body in built:
            if api.is_flux_kustomization(body):
                self.queue.append(_with_path_substituted(body, variables))
            elif api.is_helm_release(body):
                unit = str(api.key_of(body))  # a patch file names it again: listed once
                self.tree.units += [unit] if unit not in self.tree.units else []
                add_local_chart(self.repo, body, self.tree)
                self.releases.append(body)
            elif api.is_source(body, "GitRepository"):
                self.git_repositories.append(body)
            elif is_artifact_generator(body):
                self.generators.append(body)


def _record_remote_chart(
    repo: Path,
    release: Mapping[str, Any],
    available: list[Document],
    is_own: Callable[[ObjectKey], bool],
    tree: StaticTree,
) -> None:
    """A chart from a chart repository or registry: its resolved version is part of the key."""

    def record(remote: RemoteChart) -> Path:
        tree.remote_charts.append(remote)
        raise ChartSkipped(remote.label)

    # Local, foreign or broken charts raise: their files (or the render's finding) say it all.
    with contextlib.suppress(ChartSkipped, ChartBroken):
        resolve_chart(repo, release, available, is_own, record)


def _static_variables(
    kustomization: Mapping[str, Any], config_maps: Mapping[ObjectKey, Mapping[str, Any]]
) -> dict[str, str] | None:
    """The postBuild variables source files alone tell (inline ones, ConfigMaps); None when
    the Kustomization substitutes nothing."""
    post_build = api.spec(kustomization).get("postBuild")
    if not isinstance(post_build, Mapping):
        return None
    namespace = str(api.metadata(kustomization).get("namespace") or "default")
    variables: dict[str, str] = {}
    for reference in post_build.get("substituteFrom") or []:
        if isinstance(reference, Mapping) and reference.get("kind") == "ConfigMap":
            found = config_maps.get(ObjectKey("ConfigMap", namespace, str(reference.get("name"))))
            data = found.get("data") if found else None
            if isinstance(data, Mapping):
                variables.update({str(k): str(v) for k, v in data.items()})
    inline = post_build.get("substitute")
    if isinstance(inline, Mapping):
        variables.update({str(k): str(v) for k, v in inline.items()})
    return variables


def _with_path_substituted(
    body: Mapping[str, Any], variables: Mapping[str, str] | None
) -> Mapping[str, Any]:
    """A child Kustomization whose `path` its parent's postBuild fills in (`./apps/${env}`)."""
    path = api.spec(body).get("path")
    if variables is None or not isinstance(path, str) or "$" not in path:
        return body
    done = substitute(path, variables)
    return {**body, "spec": {**api.spec(body), "path": done.text}} if not done.unresolved else body


def kustomization_reads(
    repo: Path, kustomization: Mapping[str, Any], tree: StaticTree, artifact: Artifact | None = None
) -> set[Path]:
    """The files building this Kustomization reads, added to `tree` (which learns whether
    that list is complete). Inside an `artifact`, the repository files it copied."""
    relative = api.kustomization_path(kustomization)
    if "$" in relative:
        tree.complete = False  # a substituted path: only the render knows where it leads
        return set()
    root = artifact.root.resolve() if artifact else repo
    directory = (root / relative).resolve()
    files = _files_of(directory, tree)
    components = api.spec(kustomization).get("components")
    for component in components if isinstance(components, list) else []:
        files |= _files_of((directory / str(component)).resolve(), tree)
    if artifact is not None:
        files = {artifact.origins.get(f, f) for f in files}
        tree.paths |= {
            f.parent.relative_to(repo).as_posix() for f in files if f.is_relative_to(repo)
        }
    else:
        tree.paths.add(relative)
    tree.files |= files
    return files


def _built_objects(
    repo: Path, kustomization: Mapping[str, Any], tree: StaticTree, artifact: Artifact | None
) -> Iterator[Mapping[str, Any]]:
    for path in sorted(kustomization_reads(repo, kustomization, tree, artifact)):
        if path.suffix in (".yaml", ".yml") and path.is_relative_to(repo):
            yield from (d for d in _documents(path) if isinstance(d, Mapping))


def _files_of(directory: Path, tree: StaticTree) -> set[Path]:
    if kustomization_file(directory) is not None:
        inputs = collect_inputs(directory)
        tree.complete &= inputs.complete
        return inputs.files
    if not directory.is_dir():
        tree.complete = False
        return set()
    files: set[Path] = set()
    for resource in generated_resources(directory).resources:
        files |= _files_of(resource, tree) if resource.is_dir() else {resource.resolve()}
    return files


def add_local_chart(repo: Path, release: Mapping[str, Any], tree: StaticTree) -> None:
    """A chart this repository holds (GitRepository source) and its valuesFiles."""
    chart = api.spec(release).get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, Mapping) else None
    if not isinstance(chart_spec, Mapping):
        return
    ref = chart_spec.get("sourceRef")
    if not isinstance(ref, Mapping) or ref.get("kind") != "GitRepository":
        return
    directory = (repo / str(chart_spec.get("chart") or "").removeprefix("./")).resolve()
    if directory.is_dir() and directory.is_relative_to(repo):
        tree.files |= {p.resolve() for p in directory.rglob("*") if p.is_file()}
    for values in chart_spec.get("valuesFiles") or []:
        tree.files.add((repo / str(values).removeprefix("./")).resolve())


def _documents(path: Path) -> list[Any]:
    try:
        # Guarded: the files found here are refused with a finding by the source check.
        return load_documents(read_yaml_text(path))
    except (GuardError, StreamError):
        return []
