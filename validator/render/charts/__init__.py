"""Fetch Helm charts (HTTP repositories, OCI registries, local directories) into a cache.

    fetch_chart(ChartRequest(kind, url, chart, version), cache_dir, offline) -> chart directory

- "http":  url is the repository (…/index.yaml beside it), chart its chart name.
- "oci":   url is `oci://host[:port]/path`, chart the chart name (the artifact is url/chart);
           an empty chart means url is the whole artifact reference.
- "local": url is the chart directory; chart names it in messages.

`version` is a Helm version constraint (None: the latest release). The returned directory has
every Chart.yaml dependency present. A local chart that needs nothing is returned in place (so
findings point into the repository); anything fetched or built lives under
`<cache_dir>/charts` and is verified on every read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from validator.render.charts.archive import ArchiveError, tree_manifest, unpack_chart
from validator.render.charts.deps import build_dependencies, missing_dependencies
from validator.render.charts.errors import ChartError, ChartUnavailableError, safe_url
from validator.render.charts.httprepo import HttpRepository
from validator.render.charts.oci import OciRepository
from validator.render.charts.store import RESOLVED_TTL_SECONDS, ChartStore, Resolved

__all__ = [
    "ChartError",
    "ChartRequest",
    "ChartUnavailableError",
    "cached_resolution",
    "fetch_chart",
]

log = logging.getLogger("gitops_validator.charts")
MAX_DEPENDENCY_DEPTH = 8


@dataclass(frozen=True)
class ChartRequest:
    kind: Literal["http", "oci", "local"]
    url: str
    chart: str
    version: str | None


# Environments render in parallel threads and often need the same chart: one fetch at a time
# lets the second find the first's result in the cache instead of downloading it again.
_FETCH_LOCK = threading.Lock()


def fetch_chart(request: ChartRequest, cache_dir: Path, offline: bool) -> Path:
    with _FETCH_LOCK:
        return _Fetcher(ChartStore(cache_dir / "charts"), offline).fetch(request, depth=0)


def cached_resolution(request: ChartRequest, cache_dir: Path, offline: bool) -> str | None:
    """ "version@digest" that fetch_chart would use now without asking any repository, or None
    (a render cache key can include it: a new chart version makes a new key)."""
    if request.kind == "local":
        return None
    store = ChartStore(cache_dir / "charts")
    key = (request.kind, request.url, request.chart, request.version or "*")
    found = store.resolved(*key)
    if found is None or not (offline or found.age < RESOLVED_TTL_SECONDS):
        # A repository found unreachable within the hour stays so for the key, like a range
        # stays resolved: a second run reuses the render (with its skipped-source finding).
        unavailable = store.unavailable_age(*key)
        fresh = unavailable is not None and unavailable < RESOLVED_TTL_SECONDS
        return "unavailable" if fresh and not offline else None
    return f"{found.version}@{found.digest}"


class _Fetcher:
    def __init__(self, store: ChartStore, offline: bool) -> None:
        self.store = store
        self.offline = offline

    def fetch(self, request: ChartRequest, depth: int) -> Path:
        if depth > MAX_DEPENDENCY_DEPTH:
            raise ChartError(
                f"chart {request.chart}: dependencies nest deeper than {MAX_DEPENDENCY_DEPTH}"
            )
        if request.kind == "local":
            return self._local(request, depth)
        if request.kind not in ("http", "oci"):
            raise ChartError(f"chart {request.chart}: unknown chart source kind {request.kind!r}")
        return self._remote(request, depth)

    def _dependency(self, depth: int) -> Callable[[str, str, str, str | None], Path]:
        def fetch(kind: str, url: str, chart: str, version: str | None) -> Path:
            kinds: dict[str, Literal["http", "oci", "local"]] = {
                "http": "http",
                "oci": "oci",
                "local": "local",
            }
            return self.fetch(ChartRequest(kinds[kind], url, chart, version), depth + 1)

        return fetch

    def _local(self, request: ChartRequest, depth: int) -> Path:
        source = Path(request.url)
        if not (source / "Chart.yaml").is_file():
            raise ChartError(f"chart {request.chart}: {request.url} has no Chart.yaml")
        if not missing_dependencies(source):
            return source
        try:
            identity = ("local", str(source), _digest_of(tree_manifest(source)))
        except ArchiveError as error:
            raise ChartError(f"chart {request.chart}: {error}") from None
        cached = self.store.tree(*identity)
        if cached is not None:
            log.info("chart %s: dependencies from the cache", request.chart)
            return cached

        def build(scratch: Path) -> Path:
            chart = scratch / source.name
            shutil.copytree(source, chart, symlinks=True)
            build_dependencies(chart, source, self._dependency(depth))
            return chart

        return self.store.build_tree(identity, build)

    def _remote(self, request: ChartRequest, depth: int) -> Path:
        constraint = request.version or "*"
        what = f"chart {request.chart} version {constraint} from {safe_url(request.url)}"
        key = (request.kind, request.url, request.chart, constraint)
        repository = self._repository(request)
        found = self._resolve(request, repository, what)
        identity = (request.kind, request.url, request.chart, found.version, found.digest)
        tree = self.store.tree(*identity) if found.digest else None
        if tree is not None:
            log.info("%s: %s from the cache", what, found.version)
            return tree
        data = self.store.archive(found.digest) if found.digest else None
        if data is None:
            if self.offline:
                raise ChartUnavailableError(f"{what} is not in the chart cache (--offline)")
            log.info("%s: downloading %s", what, found.version)
            data = repository.download(request.chart, found)
            found = Resolved(found.version, self.store.put_archive(data), 0.0)
            identity = (request.kind, request.url, request.chart, found.version, found.digest)
            self.store.remember(*key, found)

        def build(scratch: Path) -> Path:
            try:
                chart = unpack_chart(data, scratch)
            except ArchiveError as error:
                raise ChartError(f"{what}: {error}") from None
            build_dependencies(chart, None, self._dependency(depth))
            return chart

        return self.store.build_tree(identity, build)

    def _resolve(
        self, request: ChartRequest, repository: HttpRepository | OciRepository, what: str
    ) -> Resolved:
        """The version and digest: remembered (offline, or resolved within the last hour), else
        asked of the repository (falling back to the remembered one when it is unreachable)."""
        key = (request.kind, request.url, request.chart, request.version or "*")
        remembered = self.store.resolved(*key)
        if remembered is not None and (self.offline or remembered.age < RESOLVED_TTL_SECONDS):
            return remembered
        if self.offline:
            raise ChartUnavailableError(f"{what} is not in the chart cache (--offline)")
        try:
            found = repository.resolve(request.chart, request.version)
        except ChartUnavailableError:
            if remembered is None:
                self.store.remember_unavailable(*key)
                raise
            log.warning("%s: repository unreachable, using the version resolved earlier", what)
            return remembered
        if found.digest:
            self.store.remember(*key, found)
        return found

    def _repository(self, request: ChartRequest) -> HttpRepository | OciRepository:
        if request.kind == "http":
            return HttpRepository(request.url)
        return OciRepository(request.url, request.chart)


def _digest_of(manifest: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
