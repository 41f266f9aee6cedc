"""Render one environment: inputs → cache or kustomize/Helm → resources with their origins."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator import __version__
from validator.masking import mask_tool_output
from validator.model import (
    Category,
    EnvironmentSpec,
    Finding,
    RenderedEnvironment,
    Resource,
    ResourceRef,
    Settings,
    Severity,
    SourceLocation,
)
from validator.render.cache import RenderCache, cache_key
from validator.render.document import Document
from validator.render.failure import clean_message, locate_failure
from validator.render.helm import HelmRenderError, merged_values, render_chart
from validator.render.helm_shim import TEMPLATE_ANNOTATION
from validator.render.inputs import KustomizeInputs, collect_inputs, kustomization_file
from validator.render.kustomize import KustomizeError, run_kustomize
from validator.render.origins import ORIGIN_ANNOTATION, DocumentIndex, parse_origin, pop_annotation
from validator.render.stream import StreamError, load_documents
from validator.render.tools import find_kustomize, helm_sdk_version

log = logging.getLogger("gitops_validator.render")


@dataclass(frozen=True, slots=True)
class RenderPlan:
    """What an environment's render will read, known before anything runs."""

    spec: EnvironmentSpec
    inputs: KustomizeInputs
    input_files: frozenset[str]  # repository-relative; files outside the repository excluded
    outside: tuple[str, ...]  # files the render would read outside the repository
    cache_key: str | None  # None: not cacheable (cache off, remote bases, unreadable inputs)


def plan_render(spec: EnvironmentSpec, settings: Settings) -> RenderPlan:
    repo = settings.repo_root
    charts: list[str] = []
    # Flux and Argo CD code (and the chart fetchers) is imported for their environments only:
    # it is a fifth of the start-up of a run over plain Kustomize and Helm environments.
    if spec.flux:
        from validator.render.flux import flux_inputs

        offline = bool(getattr(settings, "offline", False))
        inputs, charts = flux_inputs(repo, spec.flux, settings.cache_dir, offline)
    elif spec.argo:
        from validator.render.argo_plan import argo_inputs

        inputs, charts = argo_inputs(repo, settings.cache_dir, settings.offline)
    else:
        inputs = _inputs(spec, repo)
    inside = frozenset(
        p.relative_to(repo).as_posix() for p in inputs.files if p.is_relative_to(repo)
    )
    outside = tuple(sorted(str(p) for p in inputs.files if not p.is_relative_to(repo)))
    cacheable = settings.use_cache and inputs.complete and not outside
    key = _key(spec, settings, inputs, charts) if cacheable else None
    return RenderPlan(spec, inputs, inside, outside, key)


def render_environment(
    plan: RenderPlan,
    settings: Settings,
    refused: Mapping[str, str] | None = None,
    sensitive: Iterable[str] = (),
) -> RenderedEnvironment:
    """Render from the cache or with kustomize/Helm; `refused` inputs are never handed to them.
    Their errors pass the masker, which knows the generator literals and `sensitive` values."""
    spec, inputs, relative_inputs = plan.spec, plan.inputs, plan.input_files
    if plan.outside:
        return _failed(spec, settings, f"reads files outside the repository: {plan.outside[0]}")
    blocked = sorted(f for f in relative_inputs if refused and f in refused)
    if blocked and refused:
        reason = refused[blocked[0]]
        return _failed(
            spec, settings, f"not rendered: {blocked[0]} was refused ({reason})", relative_inputs
        )
    cached = RenderCache(settings.cache_dir).get(plan.cache_key) if plan.cache_key else None
    if cached is not None:
        log.info("%s: render cache hit, kustomize and Helm skipped", spec.name)
        documents = [Document.from_json(entry) for entry in cached if "finding" not in entry]
        findings = [Finding.from_json(entry["finding"]) for entry in cached if "finding" in entry]
        return _environment(spec, documents, relative_inputs, from_cache=True, findings=findings)
    started = time.perf_counter()
    try:
        documents, findings, read = _render(spec, settings, inputs)
    except (KustomizeError, HelmRenderError, StreamError, _EntryFailed) as error:
        message = mask_tool_output(str(error), [*inputs.generated_values, *sensitive])
        return _failed(spec, settings, message, relative_inputs)
    log.info("%s: rendered %d objects in %.2f s", spec.name, len(documents), _since(started))
    read_inside = {p.relative_to(settings.repo_root.resolve()).as_posix() for p in read}
    return _environment(
        spec, documents, relative_inputs | read_inside, from_cache=False, findings=findings
    )


def store_render(plan: RenderPlan, env: RenderedEnvironment, settings: Settings) -> None:
    """Cache a fresh render; the pipeline calls this only once the secrets stage found no
    plaintext or leaked secret in it, so the cache never becomes a copy of a secret."""
    failed = any(f.rule_id == "render-failed" for f in env.findings)
    unkeyed = env.input_files - plan.input_files
    if unkeyed:  # the render read a file its cache key does not cover: never trust a hit
        log.info("%s: not cached, the render read %s", env.name, sorted(unkeyed)[0])
    key = plan.cache_key
    if key is None and (plan.spec.flux or plan.spec.argo) and settings.use_cache:
        # Charts this render fetched are in the chart cache now: the key is computable.
        key = plan_render(plan.spec, settings).cache_key
    if key and not env.from_cache and not failed and not unkeyed:
        documents = [Document(dict(r.body), r.origin, r.unit).to_json() for r in env.resources]
        # Render findings (a Flux source skipped, a variable unresolved) come back on a hit.
        documents += [{"finding": f.to_json()} for f in env.findings]
        RenderCache(settings.cache_dir).put(key, documents)


def _since(started: float) -> float:
    return time.perf_counter() - started


def _inputs(spec: EnvironmentSpec, repo: Path) -> KustomizeInputs:
    if spec.helm:
        chart = (repo / spec.helm.chart).resolve()
        # Resolved, so a template symlinked out of the repository is caught as outside it.
        files = {p.resolve() for p in chart.rglob("*") if p.is_file()} if chart.is_dir() else set()
        files |= {(repo / v).resolve() for v in spec.helm.values}
        return KustomizeInputs(files=files, uses_helm=True)
    return collect_inputs(repo / str(spec.path))


def _key(
    spec: EnvironmentSpec, settings: Settings, inputs: KustomizeInputs, charts: list[str]
) -> str | None:
    tools: dict[str, str] = {"validator": __version__}
    if spec.path or spec.flux or spec.argo:
        tools["kustomize"] = find_kustomize().version
    if inputs.uses_helm:
        tools["helm"] = helm_sdk_version()
    parameters = {"tools": tools, "spec": repr(spec), "charts": charts}
    try:
        return cache_key(inputs.files, settings.repo_root, parameters)
    except OSError:
        return None  # a missing input: the render will report it


def _render(
    spec: EnvironmentSpec, settings: Settings, inputs: KustomizeInputs
) -> tuple[list[Document], list[Finding], set[Path]]:
    """Documents, render findings, and files read beyond `inputs` (Flux only)."""
    if spec.flux:
        from validator.render.flux import FluxEntryError, render_flux

        try:
            documents, findings, read = render_flux(spec, settings)
        except FluxEntryError as error:
            raise _EntryFailed(str(error)) from None
        repo = settings.repo_root.resolve()
        return documents, findings, {p for p in read if p.is_relative_to(repo)}
    if spec.argo:
        documents, findings = _render_argo(spec, settings, inputs)
        return documents, findings, set()
    return _render_documents(spec, settings, inputs), [], set()


class _EntryFailed(Exception):
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


def _environment(
    spec: EnvironmentSpec,
    documents: list[Document],
    inputs: frozenset[str],
    *,
    from_cache: bool,
    findings: list[Finding] | None = None,
) -> RenderedEnvironment:
    resources = tuple(
        Resource(ResourceRef.of(d.body), d.body, spec.name, d.origin, d.unit) for d in documents
    )
    return RenderedEnvironment(
        name=spec.name,
        kubernetes_version=spec.kubernetes_version,
        resources=resources,
        input_files=inputs,
        from_cache=from_cache,
        findings=tuple(dataclasses.replace(f, environment=spec.name) for f in findings or ()),
    )


def _failed(
    spec: EnvironmentSpec, settings: Settings, message: str, inputs: frozenset[str] = frozenset()
) -> RenderedEnvironment:
    where = spec.helm.chart if spec.helm else (spec.flux.entry if spec.flux else str(spec.path))
    where = "." if spec.argo else where
    entry = kustomization_file(settings.repo_root / where) if spec.path else None
    message = clean_message(message)
    location = locate_failure(
        message, settings.repo_root, spec.helm.chart if spec.helm else None
    ) or SourceLocation(_relative(entry, settings.repo_root) if entry else where, 1)
    finding = Finding(
        rule_id="render-failed",
        category=Category.RENDER,
        severity=Severity.ERROR,
        message=f"cannot render environment '{spec.name}': {message}",
        environment=spec.name,
        location=location,
    )
    return RenderedEnvironment(
        name=spec.name,
        kubernetes_version=spec.kubernetes_version,
        resources=(),
        findings=(finding,),
        input_files=inputs,
    )
