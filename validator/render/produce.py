"""The documents of one environment, from the tool it names: kustomize (through the origin
annotation wrapper), the Helm SDK, a Flux cluster's tree or an Argo CD cluster's Applications.

Flux and Argo CD code (and the chart fetchers) is imported for their environments only: it is a
fifth of the start-up of a run over plain Kustomize and Helm environments.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from validator.masking import mask_tool_output
from validator.model import EnvironmentSpec, Finding, ResourceRef, Settings, SourceLocation
from validator.render.document import Document
from validator.render.helm import merged_values, render_chart
from validator.render.helm_shim import TEMPLATE_ANNOTATION
from validator.render.inputs import KustomizeInputs, kustomization_file
from validator.render.kustomize import KustomizeError, run_kustomize
from validator.render.origins import ORIGIN_ANNOTATION, DocumentIndex, parse_origin, pop_annotation
from validator.render.stream import load_documents
from validator.render.tools import find_kustomize

log = logging.getLogger("gitops_validator.render")


def produce(
    spec: EnvironmentSpec, settings: Settings, inputs: KustomizeInputs
) -> tuple[list[Document], list[Finding], set[Path]]:
    """Documents, render findings, and files read beyond `inputs` (Flux only)."""
    if spec.flux:
        from validator.render.flux import FluxEntryError, render_flux

        try:
            documents, findings, read = render_flux(spec, settings)
        except FluxEntryError as error:
            raise EntryFailed(str(error)) from None
        repo = settings.repo_root.resolve()
        return documents, findings, {p for p in read if p.is_relative_to(repo)}
    if spec.argo:
        documents, findings = _render_argo(spec, settings, inputs)
        return documents, findings, set()
    return _render_documents(spec, settings, inputs), [], set()


class EntryFailed(Exception):
    """The Flux cluster's root Kustomization cannot be read (its FluxEntryError, re-raised)."""


def _render_argo(
    spec: EnvironmentSpec, settings: Settings, inputs: KustomizeInputs
) -> tuple[list[Document], list[Finding]]:
    from validator.render.argo import ArgoOptions, render_argo

    assert spec.argo is not None
    options = ArgoOptions(
        environment=spec.name,
        cluster=spec.argo.cluster,
        kubernetes_version=spec.kubernetes_version,
        cache_dir=settings.cache_dir,
        offline=settings.offline,
    )
    result = render_argo(settings.repo_root, options)
    # A kustomize error inside one Application never quotes a generator's values either.
    findings = [
        dataclasses.replace(f, message=mask_tool_output(f.message, inputs.generated_values))
        for f in result.findings
    ]
    return [Document(d.body, d.origin, d.unit) for d in result.documents], findings


def _render_documents(
    spec: EnvironmentSpec, settings: Settings, inputs: KustomizeInputs
) -> list[Document]:
    repo = settings.repo_root
    index = DocumentIndex()
    if spec.helm:
        return _render_helm(spec, repo, index)
    overlay = (repo / str(spec.path)).resolve()
    if kustomization_file(overlay) is None:
        raise KustomizeError(f"{spec.path} has no kustomization.yaml")
    tool = find_kustomize()
    log.info("%s: running %s %s", spec.name, tool.label, spec.path)
    output = run_kustomize(
        tool, overlay, repo, kubernetes_version=spec.kubernetes_version, helm=inputs.uses_helm
    )
    fallback = SourceLocation(_relative(kustomization_file(overlay) or overlay, repo), 1)
    return [
        _kustomize_document(body, output.wrapper, repo, index, fallback)
        for body in load_documents(output.stream)
        if isinstance(body, dict)
    ]


def _kustomize_document(
    body: dict[str, Any], wrapper: Path, repo: Path, index: DocumentIndex, fallback: SourceLocation
) -> Document:
    template = pop_annotation(body, TEMPLATE_ANNOTATION)
    annotation = pop_annotation(body, ORIGIN_ANNOTATION)
    source = (
        Path(template) if template else (parse_origin(annotation, wrapper) if annotation else None)
    )
    if source is None or not source.is_relative_to(repo):
        return Document(body, fallback)
    ref = ResourceRef.of(body)
    line = index.document_line(source, ref.kind, ref.name)
    return Document(body, SourceLocation(_relative(source, repo), line))


def _render_helm(spec: EnvironmentSpec, repo: Path, index: DocumentIndex) -> list[Document]:
    assert spec.helm is not None
    chart = repo / spec.helm.chart
    templates = render_chart(
        chart,
        merged_values([repo / v for v in spec.helm.values]),
        release=spec.helm.release,
        namespace=spec.helm.namespace,
        kubernetes_version=spec.kubernetes_version,
    )
    documents = []
    for template in templates:
        source = chart / template.template
        for position, body in enumerate(load_documents(template.text)):
            if isinstance(body, dict):
                ref = ResourceRef.of(body)
                line = index.document_line(source, ref.kind, ref.name, position)
                documents.append(Document(body, SourceLocation(_relative(source, repo), line)))
    return documents


def _relative(path: Path, repo: Path) -> str:
    return path.relative_to(repo).as_posix()
