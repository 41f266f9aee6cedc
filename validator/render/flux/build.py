"""Build one Flux Kustomization's path with kustomize, the way kustomize-controller does:
its spec fields merged on top, the load restrictor off, a kustomization generated for a path
that has none."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validator.model import ResourceRef, SourceLocation
from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.artifacts import Artifact
from validator.render.flux.generate import generated_resources
from validator.render.helm_shim import TEMPLATE_ANNOTATION
from validator.render.inputs import collect_inputs, kustomization_file
from validator.render.kustomize import KustomizeError, WrapperOptions, run_kustomize
from validator.render.origins import ORIGIN_ANNOTATION, DocumentIndex, parse_origin, pop_annotation
from validator.render.stream import load_documents
from validator.render.tools import find_kustomize

# Spec fields kustomize-controller copies into the kustomization it builds, by their name there.
_COPIED = {"namePrefix": "namePrefix", "nameSuffix": "nameSuffix", "targetNamespace": "namespace"}


def build_kustomization(
    repo: Path,
    kustomization: Mapping[str, Any],
    *,
    kubernetes_version: str,
    index: DocumentIndex,
    unit: str,
    artifact: Artifact | None = None,
) -> list[Document]:
    """The objects the Kustomization's path builds, with their source origins; raises
    KustomizeError when kustomize fails or the path is missing or leaves the repository.
    With an `artifact`, the path is inside it and origins lead back to the repository."""
    relative = api.kustomization_path(kustomization)
    root = artifact.root.resolve() if artifact else repo
    directory = (root / relative).resolve()
    if not directory.is_relative_to(root):
        raise KustomizeError(f"path ./{relative} leaves the repository")
    if not directory.is_dir():
        raise KustomizeError(f"path ./{relative} does not exist in this repository")
    if kustomization_file(directory) is not None:
        resources: tuple[Path, ...] = (directory,)
    else:
        resources = tuple(generated_resources(directory).resources)
        if not resources:
            return []  # Flux builds an empty kustomization: nothing to apply
    spec = api.spec(kustomization)
    options = WrapperOptions(
        resources=resources,
        fields=kustomize_fields(spec),
        components=tuple((directory / str(c)).resolve() for c in _list(spec, "components") if c),
        unrestricted=True,
    )
    helm = any(collect_inputs(r).uses_helm for r in resources if r.is_dir())
    output = run_kustomize(
        find_kustomize(),
        directory,
        root,
        kubernetes_version=kubernetes_version,
        helm=helm,
        options=options,
    )
    origins = artifact.origins if artifact else {}
    entry = kustomization_file(directory) or directory
    entry = origins.get(entry.resolve(), entry)
    fallback = SourceLocation(
        entry.relative_to(repo).as_posix() if entry.is_relative_to(repo) else relative
    )
    return [
        located_document(body, output.wrapper, repo, index, fallback, unit, origins)
        for body in load_documents(output.stream)
        if isinstance(body, dict)
    ]


def kustomize_fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        target: spec[source] for source, target in _COPIED.items() if spec.get(source)
    }
    patches = [p for p in _list(spec, "patches") if isinstance(p, Mapping)]
    # v1beta2's legacy fields, as inline patches (they only ever held inline content).
    patches += [{"patch": json.dumps(m)} for m in _list(spec, "patchesStrategicMerge")]
    patches += [
        {"target": entry.get("target"), "patch": json.dumps(entry.get("patch"))}
        for entry in _list(spec, "patchesJson6902")
        if isinstance(entry, Mapping)
    ]
    if patches:
        fields["patches"] = patches
    images = [i for i in _list(spec, "images") if isinstance(i, Mapping)]
    if images:
        fields["images"] = images
    return fields


def located_document(
    body: dict[str, Any],
    wrapper: Path,
    repo: Path,
    index: DocumentIndex,
    fallback: SourceLocation,
    unit: str,
    origins: Mapping[Path, Path] | None = None,
) -> Document:
    template = pop_annotation(body, TEMPLATE_ANNOTATION)
    annotation = pop_annotation(body, ORIGIN_ANNOTATION)
    source = (
        Path(template) if template else (parse_origin(annotation, wrapper) if annotation else None)
    )
    if source is not None and origins:
        source = origins.get(source.resolve(), source)
    if source is None or not source.is_relative_to(repo):
        return Document(body, fallback, unit)
    ref = ResourceRef.of(body)
    line = index.document_line(source, ref.kind, ref.name)
    return Document(body, SourceLocation(source.relative_to(repo).as_posix(), line), unit)


def _list(spec: Mapping[str, Any], key: str) -> list[Any]:
    value = spec.get(key)
    return value if isinstance(value, list) else []
