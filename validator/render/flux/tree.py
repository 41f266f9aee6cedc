"""A Flux cluster's tree read from source files, without building anything.

The walk follows each Kustomization's `path` (and components) and each HelmRelease's local
chart, so it knows the files a render will read (the render cache key) and the units a
cluster holds (`envs`). Objects a kustomize build would produce but no source file holds
(generated, patched or substituted paths) are beyond it: the tree is then incomplete, and
the render, which sees everything, is the authority.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.model import FluxSpec
from validator.render.flux import api
from validator.render.flux.api import ObjectKey
from validator.render.flux.generate import generated_resources
from validator.render.flux.substitute import substitute
from validator.render.inputs import collect_inputs, kustomization_file
from validator.render.stream import StreamError, load_documents


@dataclass
class StaticTree:
    files: set[Path] = field(default_factory=set)  # absolute, resolved
    units: list[str] = field(default_factory=list)  # "Kind/namespace/name", in walk order
    paths: set[str] = field(default_factory=set)  # repository-relative directories built
    complete: bool = True


def root_kustomization(repo: Path, flux: FluxSpec) -> Mapping[str, Any] | None:
    for body in _documents(repo / flux.entry):
        if api.is_flux_kustomization(body):
            key = api.key_of(body)
            if (key.namespace, key.name) == (flux.namespace, flux.name):
                return dict(body)
    return None


def static_tree(repo: Path, flux: FluxSpec) -> StaticTree:
    repo = repo.resolve()
    tree = StaticTree(files={(repo / flux.entry).resolve()})
    root = root_kustomization(repo, flux)
    if root is None:
        tree.complete = False
        return tree
    remotes = api.git_remotes(repo)
    own = {ref for ref in [api.source_ref(root)] if ref}
    git_repositories: list[Mapping[str, Any]] = []
    queue: deque[Mapping[str, Any]] = deque([root])
    seen: set[ObjectKey] = set()
    config_maps: dict[ObjectKey, Mapping[str, Any]] = {}
    while queue:
        kustomization = queue.popleft()
        key = api.key_of(kustomization)
        if key in seen:
            continue
        seen.add(key)
        tree.units.append(str(key))
        if api.source_ref(kustomization) not in own | api.self_sources(git_repositories, remotes):
            continue  # another repository: the render reports it as skipped
        built = list(_built_objects(repo, kustomization, tree))
        config_maps.update((api.key_of(b), b) for b in built if b.get("kind") == "ConfigMap")
        variables = _static_variables(kustomization, config_maps)
        for body in built:
            if api.is_flux_kustomization(body):
                queue.append(_with_path_substituted(body, variables))
            elif api.is_helm_release(body):
                tree.units.append(str(api.key_of(body)))
                add_local_chart(repo, body, tree)
            elif api.is_source(body, "GitRepository"):
                git_repositories.append(body)
    return tree


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
    repo: Path, kustomization: Mapping[str, Any], tree: StaticTree
) -> set[Path]:
    """The files building this Kustomization reads, added to `tree` (which learns whether
    that list is complete)."""
    relative = api.kustomization_path(kustomization)
    if "$" in relative:
        tree.complete = False  # a substituted path: only the render knows where it leads
        return set()
    directory = (repo / relative).resolve()
    tree.paths.add(relative)
    files = _files_of(directory, tree)
    components = api.spec(kustomization).get("components")
    for component in components if isinstance(components, list) else []:
        files |= _files_of((directory / str(component)).resolve(), tree)
    tree.files |= files
    return files


def _built_objects(
    repo: Path, kustomization: Mapping[str, Any], tree: StaticTree
) -> Iterator[Mapping[str, Any]]:
    for path in sorted(kustomization_reads(repo, kustomization, tree)):
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
        return load_documents(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, StreamError):
        return []
