"""Render one environment: inputs → cache or kustomize/Helm → resources with their origins."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

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
from validator.render.helm import HelmRenderError
from validator.render.inputs import KustomizeInputs, collect_inputs, kustomization_file
from validator.render.kustomize import KustomizeError
from validator.render.produce import EntryFailed, produce
from validator.render.stream import StreamError
from validator.render.tools import find_kustomize, helm_package_version

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
        documents, findings, read = produce(spec, settings, inputs)
    except (KustomizeError, HelmRenderError, StreamError, EntryFailed) as error:
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
        tools["helm"] = helm_package_version()
    parameters = {"tools": tools, "spec": repr(spec), "charts": charts}
    try:
        return cache_key(inputs.files, settings.repo_root, parameters)
    except OSError:
        return None  # a missing input: the render will report it


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
