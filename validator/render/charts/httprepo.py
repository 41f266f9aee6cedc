"""Helm chart repositories served over HTTP(S): index.yaml, then the chart archive."""

from __future__ import annotations

import hashlib
import urllib.parse
from typing import Any

from validator.render.charts.archive import MAX_ARCHIVE_BYTES
from validator.render.charts.errors import (
    ChartError,
    ChartUnavailableError,
    http_get,
    safe_url,
)
from validator.render.charts.semver import Constraint, ConstraintError
from validator.render.charts.store import Resolved
from validator.render.stream import StreamError, load_documents

MAX_INDEX_BYTES = 64 * 1024 * 1024  # the largest public indexes are tens of MiB


class HttpRepository:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._entry: dict[str, Any] | None = None

    def resolve(self, chart: str, constraint_text: str | None) -> Resolved:
        entries = self._entries(chart)
        try:
            constraint = Constraint.parse(constraint_text)
        except ConstraintError as error:
            raise ChartError(f"chart {chart}: {error}") from None
        by_version = {str(e.get("version")): e for e in entries if isinstance(e, dict)}
        best = constraint.best(by_version)
        if best is None:
            raise ChartError(
                f"no version of chart {chart} in {safe_url(self.url)} matches "
                f"'{constraint.text}' (available: {', '.join(sorted(by_version)[:10]) or 'none'})"
            )
        entry = by_version[best]
        digest = str(entry.get("digest") or "").removeprefix("sha256:").lower()
        self._entry = entry
        # An index without digests: the archive's own digest becomes the cache key on download.
        return Resolved(best, digest, 0.0)

    def download(self, chart: str, found: Resolved) -> bytes:
        entry = (
            self._entry
            if self._entry and str(self._entry.get("version")) == found.version
            else None
        )
        if entry is None:
            matches = [e for e in self._entries(chart) if str(e.get("version")) == found.version]
            entry = matches[0] if matches else None
        urls = entry.get("urls") if entry else None
        if not isinstance(urls, list) or not urls or not isinstance(urls[0], str):
            raise ChartError(f"chart {chart} {found.version} in {safe_url(self.url)} has no URL")
        target = urllib.parse.urljoin(self.url + "/", urls[0])
        response = http_get(target, limit=MAX_ARCHIVE_BYTES)
        if response.status != 200:
            raise ChartUnavailableError(
                f"chart {chart} {found.version}: {safe_url(target)} answered {response.status}"
            )
        actual = hashlib.sha256(response.body).hexdigest()
        if found.digest and actual != found.digest:
            raise ChartError(
                f"chart {chart} {found.version} from {safe_url(self.url)}: digest mismatch "
                f"(index says sha256:{found.digest}, archive is sha256:{actual})"
            )
        return response.body

    def _entries(self, chart: str) -> list[dict[str, Any]]:
        index_url = self.url + "/index.yaml"
        response = http_get(index_url, limit=MAX_INDEX_BYTES)
        if response.status != 200:
            raise ChartUnavailableError(
                f"chart repository {safe_url(self.url)} answered {response.status} for index.yaml"
            )
        try:
            documents = load_documents(response.body.decode("utf-8"))
        except (UnicodeDecodeError, StreamError) as error:
            raise ChartError(
                f"index.yaml of {safe_url(self.url)} is not valid YAML: {error}"
            ) from None
        index = documents[0] if documents else None
        entries = index.get("entries") if isinstance(index, dict) else None
        if not isinstance(entries, dict):
            raise ChartError(f"index.yaml of {safe_url(self.url)} has no entries")
        found = entries.get(chart)
        if not isinstance(found, list) or not found:
            raise ChartError(f"chart {chart} is not in the repository {safe_url(self.url)}")
        return [e for e in found if isinstance(e, dict)]
