"""What an Argo CD environment's render reads, known before rendering: the render cache key.

Every file of the repository's Applications and ApplicationSets, everything under their
sources' paths (kustomize bases followed), their value files, and the version and digest of
each chart from a repository as the chart cache would serve it now. A chart the cache cannot
answer for without the network makes the environment uncacheable for this run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validator.render.argo_apps import application_sources, discover_argo, repository_matcher
from validator.render.charts import ChartRequest, cached_resolution
from validator.render.inputs import KustomizeInputs, collect_inputs, kustomization_file


def argo_inputs(
    repo_root: Path, cache_dir: Path, offline: bool
) -> tuple[KustomizeInputs, list[str]]:
    """(inputs, chart resolutions for the key)."""
    repo = repo_root.resolve()
    discovery = discover_argo(repo)
    is_ours = repository_matcher(repo)
    inputs = KustomizeInputs(uses_helm=True)
    charts: list[str] = []
    for app in discovery.applications:
        inputs.files.add(repo / app.file)
        for source in application_sources(app.body):
            if source.get("chart"):
                resolution = _chart(source, cache_dir, offline)
                if resolution is None:
                    inputs.complete = False
                charts.append(f"{source.get('repoURL')} {source.get('chart')} {resolution}")
            elif is_ours(str(source.get("repoURL", ""))) and source.get("path") is not None:
                _path_inputs(repo, str(source["path"]), inputs)
            _value_files(repo, source, inputs)
    return inputs, sorted(charts)


def _chart(source: Mapping[str, Any], cache_dir: Path, offline: bool) -> str | None:
    url = str(source.get("repoURL") or "")
    if url.startswith(("http://", "https://")):
        request = ChartRequest("http", url, str(source["chart"]), _version(source))
    else:
        oci = url if url.startswith("oci://") else "oci://" + url
        request = ChartRequest("oci", oci, str(source["chart"]), _version(source))
    return cached_resolution(request, cache_dir, offline)


def _version(source: Mapping[str, Any]) -> str | None:
    version = source.get("targetRevision")
    return str(version) if version else None


def _path_inputs(repo: Path, relative: str, inputs: KustomizeInputs) -> None:
    directory = (repo / relative).resolve()
    if not directory.is_dir() or not directory.is_relative_to(repo):
        inputs.complete = False  # the render reports it
        return
    if kustomization_file(directory) is not None:
        found = collect_inputs(directory)
        inputs.files |= found.files
        inputs.complete &= found.complete
        inputs.generated_values |= found.generated_values
    inputs.files |= {p.resolve() for p in directory.rglob("*") if p.is_file()}


def _value_files(repo: Path, source: Mapping[str, Any], inputs: KustomizeInputs) -> None:
    helm = source.get("helm")
    base = repo / str(source.get("path") or ".")
    for name in (helm.get("valueFiles") or []) if isinstance(helm, Mapping) else []:
        text = str(name)
        path = repo / text.removeprefix("$values/") if text.startswith("$values/") else base / text
        if path.is_file():
            inputs.files.add(path.resolve())
