"""Where a HelmRelease's chart comes from: this repository (a GitRepository that stands for
it) or a chart repository / OCI registry, fetched through the chart cache."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.api import ObjectKey


class ChartSkipped(Exception):
    """The chart cannot be had in this run (another repository, a bucket, offline miss)."""


class ChartBroken(Exception):
    """The chart was found but cannot be used (bad chart, missing dependency)."""


@dataclass(frozen=True, slots=True)
class ChartSource:
    directory: Path
    label: str  # what a person recognises: a repository path or URL + chart@version
    local: bool  # inside this repository: findings point at its templates


@dataclass(frozen=True, slots=True)
class RemoteChart:
    kind: str  # http | oci
    url: str
    chart: str
    version: str | None

    @property
    def label(self) -> str:
        return f"{self.url.rstrip('/')}/{self.chart}@{self.version or '*'}"


def resolve_chart(
    repo: Path,
    release: Mapping[str, Any],
    available: Sequence[Document],
    is_own: Callable[[ObjectKey], bool],
    fetch: Callable[[RemoteChart], Path],
) -> ChartSource:
    spec = api.spec(release)
    namespace = str(api.metadata(release).get("namespace") or "default")
    chart_ref = spec.get("chartRef")
    if isinstance(chart_ref, Mapping):
        return _from_chart_ref(chart_ref, namespace, available, fetch)
    chart = spec.get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, Mapping) else None
    if not isinstance(chart_spec, Mapping):
        raise ChartBroken("has neither spec.chart.spec nor spec.chartRef")
    return _from_chart_spec(repo, chart_spec, namespace, available, is_own, fetch)


def _from_chart_spec(
    repo: Path,
    chart_spec: Mapping[str, Any],
    namespace: str,
    available: Sequence[Document],
    is_own: Callable[[ObjectKey], bool],
    fetch: Callable[[RemoteChart], Path],
) -> ChartSource:
    ref = chart_spec.get("sourceRef")
    if not isinstance(ref, Mapping):
        raise ChartBroken("spec.chart.spec has no sourceRef")
    key = ObjectKey(
        str(ref.get("kind")), str(ref.get("namespace") or namespace), str(ref.get("name"))
    )
    name = str(chart_spec.get("chart") or "")
    if key.kind == "GitRepository":
        if not is_own(key):
            raise ChartSkipped(f"chart {name} comes from {key}, another repository")
        directory = (repo / name.removeprefix("./")).resolve()
        if not directory.is_relative_to(repo) or not (directory / "Chart.yaml").is_file():
            raise ChartBroken(
                f"chart path {name} from {key} holds no Chart.yaml in this repository"
            )
        return ChartSource(directory, directory.relative_to(repo).as_posix(), local=True)
    if key.kind != "HelmRepository":
        raise ChartSkipped(f"chart {name} comes from {key}, which this run cannot read")
    source = _object(available, key)
    if source is None:
        raise ChartSkipped(f"chart {name}: {key} is not in this repository's rendered output")
    url = str(api.spec(source.body).get("url") or "")
    oci = api.spec(source.body).get("type") == "oci" or url.startswith("oci://")
    version = chart_spec.get("version")
    remote = RemoteChart("oci" if oci else "http", url, name, str(version) if version else None)
    return ChartSource(fetch(remote), remote.label, local=False)


def _from_chart_ref(
    chart_ref: Mapping[str, Any],
    namespace: str,
    available: Sequence[Document],
    fetch: Callable[[RemoteChart], Path],
) -> ChartSource:
    key = ObjectKey(
        str(chart_ref.get("kind")),
        str(chart_ref.get("namespace") or namespace),
        str(chart_ref.get("name")),
    )
    if key.kind != "OCIRepository":
        raise ChartSkipped(f"chartRef {key} is not supported offline")
    source = _object(available, key)
    if source is None:
        raise ChartSkipped(f"chartRef {key} is not in this repository's rendered output")
    spec = api.spec(source.body)
    url = str(spec.get("url") or "").rstrip("/")
    ref = spec.get("ref") if isinstance(spec.get("ref"), Mapping) else {}
    assert isinstance(ref, Mapping)
    version = ref.get("semver") or ref.get("tag") or None
    base, _, chart = url.rpartition("/")
    remote = RemoteChart("oci", base, chart, str(version) if version else None)
    return ChartSource(fetch(remote), remote.label, local=False)


def _object(available: Sequence[Document], key: ObjectKey) -> Document | None:
    for document in reversed(available):
        if api.is_source(document.body, key.kind) and api.key_of(document.body) == key:
            return document
    return None


def fetch_remote(cache_dir: Path, offline: bool) -> Callable[[RemoteChart], Path]:
    """The chart cache's fetch (validator.render.charts), when this build has it."""

    def fetch(remote: RemoteChart) -> Path:
        try:
            charts: Any = importlib.import_module("validator.render.charts")
        except ModuleNotFoundError:
            raise ChartSkipped(f"chart {remote.label}: remote charts are not fetched yet") from None
        request = charts.ChartRequest(remote.kind, remote.url, remote.chart, remote.version)
        try:
            return Path(charts.fetch_chart(request, cache_dir, offline))
        except charts.ChartUnavailableError as error:
            raise ChartSkipped(f"chart {remote.label} unavailable: {error}") from None
        except charts.ChartError as error:
            raise ChartBroken(f"chart {remote.label}: {error}") from None

    return fetch


def chart_resolutions(
    remotes: Sequence[RemoteChart], cache_dir: Path, offline: bool
) -> list[str] | None:
    """ "url chart version@digest" of each remote chart as the chart cache would serve it now,
    for the render cache key; None when one is not resolved yet (the first run fetches it)."""
    if not remotes:
        return []
    try:
        charts: Any = importlib.import_module("validator.render.charts")
    except ModuleNotFoundError:
        return []  # remote charts are skipped, which depends on nothing that can change
    resolved = []
    for remote in remotes:
        request = charts.ChartRequest(remote.kind, remote.url, remote.chart, remote.version)
        found = charts.cached_resolution(request, cache_dir, offline)
        if found is None:
            return None
        resolved.append(f"{remote.label} {found}")
    return sorted(resolved)
