"""Render a HelmRelease as helm-controller would: chart + values → Helm SDK, chart CRDs by the
install policy, kustomize post-renderers, commonMetadata and the controller's labels."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.guarded import read_yaml_text
from validator.model import Category, Finding, ResourceRef, Severity, SourceLocation
from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.api import ObjectKey
from validator.render.flux.build import kustomize_fields
from validator.render.flux.hr_chart import (
    ChartBroken,
    ChartSkipped,
    ChartSource,
    RemoteChart,
    resolve_chart,
)
from validator.render.flux.hr_values import (
    ValuesError,
    compute_values,
    merge,
    release_name,
    release_namespace,
)
from validator.render.flux.scope import with_release_namespace
from validator.render.helm import HelmRenderError, merged_values, render_chart
from validator.render.kustomize import KustomizeError, WrapperOptions, run_kustomize
from validator.render.origins import ORIGIN_ANNOTATION, DocumentIndex, pop_annotation
from validator.render.stream import StreamError, load_documents
from validator.render.tools import find_kustomize

# Carries each object's position through a post-renderer's kustomize run.
_INDEX_ANNOTATION = "gitops-validator.io/post-render-index"


@dataclass(frozen=True)
class HelmContext:
    repo: Path
    kubernetes_version: str
    is_own: Callable[[ObjectKey], bool]
    fetch: Callable[[RemoteChart], Path]
    index: DocumentIndex


@dataclass
class ReleaseRender:
    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def render_helm_release(
    context: HelmContext,
    release: Mapping[str, Any],
    origin: SourceLocation | None,
    available: Sequence[Document],
    unit: str,
) -> ReleaseRender:
    result = ReleaseRender()

    def finding(rule: str, severity: Severity, message: str) -> ReleaseRender:
        result.findings.append(
            Finding(
                rule,
                Category.RENDER,
                severity,
                f"{unit}: {message}",
                location=origin,
                unit=unit,
            )
        )
        return result

    try:
        chart = resolve_chart(context.repo, release, available, context.is_own, context.fetch)
    except ChartSkipped as skipped:
        return finding("source-skipped", Severity.INFO, f"{skipped}: not rendered")
    except ChartBroken as broken:
        return finding("render-failed", Severity.ERROR, str(broken))
    try:
        values = compute_values(release, available)
        base = _values_files(context.repo, release, chart)
        merge(base, values.merged)
        templates = render_chart(
            chart.directory,
            base,
            release=release_name(release),
            namespace=release_namespace(release),
            kubernetes_version=context.kubernetes_version,
        )
        for note in values.notes:
            finding("source-skipped", Severity.INFO, note)
        documents = _documents(context, chart, templates, origin, unit)
        documents += _crds(context, chart, release, origin, unit)
        documents = with_release_namespace(documents, release_namespace(release))
        documents = _post_rendered(context, release, documents, unit)
    except (ValuesError, HelmRenderError, KustomizeError, StreamError) as error:
        return finding("render-failed", Severity.ERROR, str(error))
    result.documents = [_with_metadata(d, release) for d in documents]
    return result


def _values_files(repo: Path, release: Mapping[str, Any], chart: ChartSource) -> dict[str, Any]:
    """chart.spec.valuesFiles, merged in order (relative to the chart's source root)."""
    chart_spec = (api.spec(release).get("chart") or {}).get("spec") or {}
    files = [str(f) for f in chart_spec.get("valuesFiles") or [] if f]
    if not files:
        return {}
    root = repo if chart.local else chart.directory
    return merged_values([(root / f.removeprefix("./")).resolve() for f in files])


def _documents(
    context: HelmContext,
    chart: ChartSource,
    templates: Sequence[Any],
    origin: SourceLocation | None,
    unit: str,
) -> list[Document]:
    documents = []
    for template in templates:
        source = chart.directory / template.template
        for position, body in enumerate(load_documents(template.text)):
            if isinstance(body, dict):
                documents.append(
                    Document(body, _origin(context, chart, source, body, position, origin), unit)
                )
    return documents


def _origin(
    context: HelmContext,
    chart: ChartSource,
    source: Path,
    body: Mapping[str, Any],
    position: int | None,
    fallback: SourceLocation | None,
) -> SourceLocation | None:
    if not chart.local:
        return fallback  # a fetched chart is nobody's file here: the HelmRelease is
    ref = ResourceRef.of(body)
    line = context.index.document_line(source, ref.kind, ref.name, position)
    return SourceLocation(source.relative_to(context.repo).as_posix(), line)


def _crds(
    context: HelmContext,
    chart: ChartSource,
    release: Mapping[str, Any],
    origin: SourceLocation | None,
    unit: str,
) -> list[Document]:
    """helm-controller applies the chart's crds/ itself: on install unless `crds: Skip`."""
    install = api.spec(release).get("install")
    policy = install.get("crds") if isinstance(install, Mapping) else None
    if policy == "Skip":
        return []
    documents = []
    for path in sorted((chart.directory / "crds").glob("*.y*ml")):
        text = read_yaml_text(path, display=f"crds/{path.name}")  # GuardError: exit 3
        for position, body in enumerate(load_documents(text)):
            if isinstance(body, dict):
                documents.append(
                    Document(body, _origin(context, chart, path, body, position, origin), unit)
                )
    return documents


def _post_rendered(
    context: HelmContext, release: Mapping[str, Any], documents: list[Document], unit: str
) -> list[Document]:
    for renderer in api.spec(release).get("postRenderers") or []:
        kustomize = renderer.get("kustomize") if isinstance(renderer, Mapping) else None
        if isinstance(kustomize, Mapping) and documents:
            documents = _kustomized(context, kustomize, documents, unit)
    return documents


def _kustomized(
    context: HelmContext, kustomize: Mapping[str, Any], documents: list[Document], unit: str
) -> list[Document]:
    """Run the post-renderer's patches and images over the rendered objects; each object
    carries its origin through kustomize in a bookkeeping annotation."""
    origins = {f"{i}": d.origin for i, d in enumerate(documents)}
    with tempfile.TemporaryDirectory(prefix="gitops-validator-post-") as scratch:
        stream = Path(scratch) / "rendered.yaml"
        stream.write_text(
            "\n---\n".join(json.dumps(_tagged(d.body, str(i))) for i, d in enumerate(documents))
        )
        output = run_kustomize(
            find_kustomize(),
            Path(scratch),
            context.repo,
            kubernetes_version=context.kubernetes_version,
            helm=False,
            options=WrapperOptions(
                resources=(stream,), fields=kustomize_fields(kustomize), unrestricted=True
            ),
        )
    result = []
    for body in load_documents(output.stream):
        if isinstance(body, dict):
            pop_annotation(body, ORIGIN_ANNOTATION)
            tag = pop_annotation(body, _INDEX_ANNOTATION)
            result.append(Document(body, origins.get(str(tag)), unit))
    return result


def _tagged(body: Mapping[str, Any], tag: str) -> dict[str, Any]:
    tagged = json.loads(json.dumps(body))
    meta = tagged.setdefault("metadata", {})
    meta.setdefault("annotations", {})[_INDEX_ANNOTATION] = tag
    return dict(tagged)


def _with_metadata(document: Document, release: Mapping[str, Any]) -> Document:
    common = api.spec(release).get("commonMetadata")
    meta = api.metadata(release)
    labels = {
        "helm.toolkit.fluxcd.io/name": str(meta.get("name") or ""),
        "helm.toolkit.fluxcd.io/namespace": str(meta.get("namespace") or "default"),
    }
    annotations: dict[str, str] = {}
    if isinstance(common, Mapping):
        labels = {**{str(k): str(v) for k, v in (common.get("labels") or {}).items()}, **labels}
        annotations = {str(k): str(v) for k, v in (common.get("annotations") or {}).items()}
    body = dict(document.body)
    body_meta = dict(body.get("metadata") or {})
    for name, values in (("labels", labels), ("annotations", annotations)):
        if values:
            body_meta[name] = {**(body_meta.get(name) or {}), **values}
    body["metadata"] = body_meta
    return Document(body, document.origin, document.unit)
