"""Render one Argo CD Application source: a path in this repository (Kustomize, Helm chart or
plain directory, chosen like Argo CD's tool detection) or a chart from a Helm/OCI repository."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from validator.guarded import GuardError, read_repo_yaml
from validator.model import ResourceRef, SourceLocation
from validator.render.argo_context import AppContext, Rendered, SourceError, documents_of
from validator.render.argo_kustomize import render_kustomize
from validator.render.charts import ChartRequest, fetch_chart
from validator.render.helm import HelmRenderError, merged_values, render_chart
from validator.render.inputs import kustomization_file
from validator.render.stream import StreamError, load_documents


def render_path_source(source: Mapping[str, Any], app: AppContext) -> list[Rendered]:
    relative = str(source.get("path") or ".").strip("/") or "."
    directory = (app.repo / relative).resolve()
    if not directory.is_relative_to(app.repo):
        raise SourceError(f"path {relative} leaves the repository")
    if not directory.is_dir():
        raise SourceError(f"path {relative} does not exist in this repository")
    tool = _tool(source, directory)
    if tool == "helm":
        request = ChartRequest("local", str(directory), relative, None)
        chart = fetch_chart(request, app.cache_dir, app.offline)
        return _helm(chart, source.get("helm") or {}, app, in_repo=directory)
    if tool == "kustomize":
        return render_kustomize(directory, source.get("kustomize") or {}, app)
    return _directory(directory, source.get("directory") or {}, app)


def _tool(source: Mapping[str, Any], directory: Path) -> str:
    """Argo CD's tool detection: an explicit block, else a kustomization (which wins over a
    Chart.yaml beside it), else a Chart.yaml, else a plain directory of manifests."""
    if source.get("plugin") is not None:
        raise SourceError("config management plugins are not supported")
    explicit = [t for t in ("helm", "kustomize", "directory") if source.get(t) is not None]
    if len(explicit) > 1:
        raise SourceError(f"source sets more than one tool ({', '.join(explicit)})")
    if explicit:
        return explicit[0]
    if kustomization_file(directory) is not None:
        return "kustomize"
    return "helm" if (directory / "Chart.yaml").is_file() else "directory"


def render_chart_source(source: Mapping[str, Any], app: AppContext) -> list[Rendered]:
    url = str(source.get("repoURL") or "")
    kind: Literal["http", "oci"] = "http" if url.startswith(("http://", "https://")) else "oci"
    if kind == "oci" and not url.startswith("oci://"):
        url = "oci://" + url  # Argo CD writes OCI Helm repositories without a scheme
    request = ChartRequest(kind, url, str(source["chart"]), source.get("targetRevision") or None)
    chart = fetch_chart(request, app.cache_dir, app.offline)
    return _helm(chart, source.get("helm") or {}, app, in_repo=None)


def _helm(
    chart: Path, options: Mapping[str, Any], app: AppContext, in_repo: Path | None
) -> list[Rendered]:
    values = _values(chart if in_repo is None else in_repo, options, app)
    try:
        templates = render_chart(
            chart,
            values,
            release=str(options.get("releaseName") or app.name),
            namespace=options.get("namespace") or app.namespace,
            kubernetes_version=str(options.get("kubeVersion") or app.kubernetes_version).lstrip(
                "v"
            )[:4],
        )
    except HelmRenderError as error:
        raise SourceError(str(error)) from None
    rendered = []
    for template in templates:
        for position, body in enumerate(documents_of(template.text, template.template)):
            rendered.append(
                Rendered(body, _template_origin(in_repo, template.template, body, position, app))
            )
    return rendered


def _template_origin(
    in_repo: Path | None, template: str, body: dict[str, Any], position: int, app: AppContext
) -> SourceLocation:
    if in_repo is None:
        return app.app_location  # a chart from a repository: the Application is what one edits
    source = in_repo / template
    ref = ResourceRef.of(body)
    line = app.index.document_line(source, ref.kind, ref.name, position)
    return SourceLocation(source.relative_to(app.repo).as_posix(), line)


def _values(base: Path, options: Mapping[str, Any], app: AppContext) -> dict[str, Any]:
    """valueFiles < values < valuesObject (which replaces values) < parameters, like Argo CD."""
    files = []
    for name in options.get("valueFiles") or []:
        text = str(name)
        path = (
            (app.repo / text.removeprefix("$values/"))
            if text.startswith("$values/")
            else base / text
        )
        path = path.resolve()
        if not path.is_relative_to(app.repo) or not path.is_file():
            if options.get("ignoreMissingValueFiles"):
                continue
            raise SourceError(f"values file {text} does not exist in this repository")
        files.append(path)
    try:
        merged = merged_values(files)
    except HelmRenderError as error:
        raise SourceError(str(error)) from None
    inline: Any = options.get("valuesObject")
    if inline is None and options.get("values"):
        raw = options["values"]
        try:
            inline = load_documents(raw)[0] if isinstance(raw, str) and raw.strip() else raw
        except StreamError as error:
            raise SourceError(f"helm.values: {error}") from None
    if isinstance(inline, Mapping):
        _merge(merged, inline)
    for parameter in options.get("parameters") or []:
        if isinstance(parameter, Mapping) and parameter.get("name"):
            _merge(merged, _parameter(parameter))
    return merged


def _parameter(parameter: Mapping[str, Any]) -> dict[str, Any]:
    value = str(parameter.get("value", ""))
    if not (value.startswith("{") and value.endswith("}")):
        value = value.replace(",", "\\,")  # Argo CD escapes commas the same way
    expression = f"{parameter['name']}={value}"
    import helm_python  # loads Helm's Go library: only when a parameter needs it

    try:
        if parameter.get("forceString"):
            return dict(helm_python.parse_set_string_values(expression))
        return dict(helm_python.parse_set_string(expression))
    except helm_python.HelmError:
        raise SourceError(f"helm parameter {parameter['name']} cannot be parsed") from None


def _merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = json.loads(json.dumps(value))


def _directory(directory: Path, options: Mapping[str, Any], app: AppContext) -> list[Rendered]:
    pattern = "**/*" if options.get("recurse") else "*"
    rendered = []
    for path in sorted(directory.glob(pattern)):
        if path.suffix not in (".yaml", ".yml", ".json") or path.is_dir():
            continue
        if not path.resolve().is_relative_to(app.repo):
            raise SourceError(f"{path.name} links outside the repository")
        try:  # a FIFO, device, huge or non-UTF-8 file is refused, never read
            text = read_repo_yaml(app.repo, path)
        except GuardError as error:
            raise SourceError(f"cannot read {error}") from None
        relative = path.relative_to(app.repo).as_posix()
        for position, body in enumerate(documents_of(text, relative)):
            ref = ResourceRef.of(body)
            line = app.index.document_line(path, ref.kind, ref.name, position)
            rendered.append(Rendered(body, SourceLocation(relative, line)))
    return rendered
