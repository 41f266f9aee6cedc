"""Render an Argo CD environment: every Application of this repository targeting one cluster.

Applications are expanded like Argo CD's app-of-apps: an Application (or ApplicationSet)
rendered by another is rendered in turn, each once (a cycle guard by unit), up to a depth
bound. Objects keep the unit (`Application/namespace/name`) that produced them; a namespaced
object without a namespace gets its Application's destination.namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.model import Category, Finding, Severity, SourceLocation
from validator.render.argo_apps import (
    ArgoApplication,
    application_sources,
    discover_argo,
    display_url,
    repository_matcher,
)
from validator.render.argo_appsets import expand
from validator.render.argo_context import AppContext, Rendered, SourceError
from validator.render.argo_sources import render_chart_source, render_path_source
from validator.render.charts import ChartError, ChartUnavailableError
from validator.render.origins import DocumentIndex

log = logging.getLogger("gitops_validator.render")
MAX_DEPTH = 10
SKIPPED_RULE = "source-skipped"
# Kinds that never take a namespace (objects of other kinds get destination.namespace).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "CSINode",
        "APIService",
        "VolumeAttachment",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "ClusterIssuer",
        "ClusterPolicy",
        "ClusterSecretStore",
        "ClusterPolicyReport",
    }
)


@dataclass(frozen=True)
class ArgoDocument:
    body: dict[str, Any]
    origin: SourceLocation
    unit: str


@dataclass
class ArgoRender:
    documents: list[ArgoDocument] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # the units of this cluster, in order


@dataclass(frozen=True)
class ArgoOptions:
    environment: str
    cluster: str
    kubernetes_version: str
    cache_dir: Path
    offline: bool


def render_argo(repo_root: Path, options: ArgoOptions) -> ArgoRender:
    repo = repo_root.resolve()
    discovery = discover_argo(repo)
    is_ours = repository_matcher(repo)
    result = ArgoRender()
    index = DocumentIndex()
    queue = [(app, 0) for app in discovery.applications]
    seen: set[str] = set()
    while queue:
        app, depth = queue.pop(0)
        if app.unit in seen:
            continue
        seen.add(app.unit)
        documents = _render_application(app, repo, options, is_ours, index, result)
        for document in documents:
            queue += [(child, depth + 1) for child in _children(document, repo, is_ours)]
        if depth + 1 > MAX_DEPTH and any(_children(d, repo, is_ours) for d in documents):
            result.findings.append(_finding(options, app, "app-of-apps nest deeper than 10"))
            queue = [(a, d) for a, d in queue if d <= MAX_DEPTH]
        if app.cluster == options.cluster:
            result.units.append(app.unit)
            result.documents += documents
    return result


def _render_application(
    app: ArgoApplication,
    repo: Path,
    options: ArgoOptions,
    is_ours: Any,
    index: DocumentIndex,
    result: ArgoRender,
) -> list[ArgoDocument]:
    destination = (app.body.get("spec") or {}).get("destination") or {}
    namespace = destination.get("namespace") if isinstance(destination, Mapping) else None
    context = AppContext(
        repo=repo,
        name=app.name,
        namespace=str(namespace) if namespace else None,
        kubernetes_version=options.kubernetes_version,
        app_location=SourceLocation(app.file, app.line),
        cache_dir=options.cache_dir,
        offline=options.offline,
        index=index,
    )
    rendered: list[Rendered] = []
    for source in application_sources(app.body):
        try:
            if source.get("chart"):
                rendered += render_chart_source(source, context)
            elif not is_ours(str(source.get("repoURL", ""))):
                if app.cluster == options.cluster:
                    result.findings.append(_skipped(options, app, source))
            elif source.get("path") is not None or not source.get("ref"):
                rendered += render_path_source(source, context)
        except ChartUnavailableError as error:
            if app.cluster == options.cluster:
                result.findings.append(_skipped(options, app, source, str(error)))
        except (SourceError, ChartError) as error:
            if app.cluster == options.cluster:
                result.findings.append(_finding(options, app, str(error)))
    log.info("%s: %s rendered %d objects", options.environment, app.unit, len(rendered))
    return [
        ArgoDocument(_with_namespace(r.body, context.namespace), r.origin, app.unit)
        for r in rendered
    ]


def _with_namespace(body: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    metadata = body.get("metadata")
    cluster_scoped = body.get("kind") in CLUSTER_SCOPED
    if (
        namespace
        and isinstance(metadata, dict)
        and not metadata.get("namespace")
        and not cluster_scoped
    ):
        metadata["namespace"] = namespace
    return body


def _children(document: ArgoDocument, repo: Path, is_ours: Any) -> list[ArgoApplication]:
    body = document.body
    if not str(body.get("apiVersion", "")).startswith("argoproj.io/"):
        return []
    where = (document.origin.file, document.origin.line)
    if body.get("kind") == "Application":
        return [ArgoApplication(body, *where)]
    if body.get("kind") == "ApplicationSet":
        generated, _ = expand(body, repo, is_ours)
        return [ArgoApplication(app, *where) for app in generated]
    return []


def _finding(options: ArgoOptions, app: ArgoApplication, message: str) -> Finding:
    return Finding(
        rule_id="render-failed",
        category=Category.RENDER,
        severity=Severity.ERROR,
        message=f"cannot render {app.unit}: {message}",
        environment=options.environment,
        location=SourceLocation(app.file, app.line),
        unit=app.unit,
    )


def _skipped(
    options: ArgoOptions, app: ArgoApplication, source: Mapping[str, Any], why: str = ""
) -> Finding:
    what = display_url(str(source.get("repoURL", "")))
    detail = f" path {source['path']}" if source.get("path") else ""
    detail += f" chart {source['chart']}" if source.get("chart") else ""
    reason = why or "another repository, which this run cannot read"
    return Finding(
        rule_id=SKIPPED_RULE,
        category=Category.RENDER,
        severity=Severity.INFO,
        message=f"{app.unit}: source {what}{detail} skipped: {reason}",
        environment=options.environment,
        location=SourceLocation(app.file, app.line),
        unit=app.unit,
    )
