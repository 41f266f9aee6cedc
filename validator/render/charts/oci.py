"""Helm charts in OCI registries, over the OCI distribution API.

manifest (by tag) → the layer of media type application/vnd.cncf.helm.chart.content.v1.tar+gzip
→ its blob, verified against the layer digest. Tags are versions (Helm writes `+` as `_`); a
range lists the tags. Anonymous access and the Bearer token handshake (WWW-Authenticate) are
supported; loopback registries are spoken to over plain HTTP, everything else over HTTPS.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from typing import Any

from validator.render.charts.archive import MAX_ARCHIVE_BYTES
from validator.render.charts.errors import (
    ChartError,
    ChartUnavailableError,
    Response,
    http_get,
)
from validator.render.charts.semver import Constraint, ConstraintError
from validator.render.charts.store import Resolved

CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json"
)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_TAG_PAGES = 50
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class OciRepository:
    def __init__(self, url: str, chart: str) -> None:
        reference = url.removeprefix("oci://").rstrip("/")
        if chart:
            reference = f"{reference}/{chart}"
        host, _, name = reference.partition("/")
        if not host or not name:
            raise ChartError(f"invalid OCI chart reference oci://{reference}")
        hostname = urllib.parse.urlsplit(f"//{host}").hostname or host
        scheme = "http" if hostname in LOOPBACK else "https"
        self.base = f"{scheme}://{host}/v2/{name}"
        self.name = name
        self.display = f"oci://{reference}"
        self._token: str | None = None

    def resolve(self, chart: str, constraint_text: str | None) -> Resolved:
        try:
            constraint = Constraint.parse(constraint_text)
        except ConstraintError as error:
            raise ChartError(f"chart {chart}: {error}") from None
        tag = _tag(constraint.exact) if constraint.exact else None
        if tag is None:
            tags = {t.replace("_", "+"): t for t in self._tags()}
            best = constraint.best(tags)
            if best is None:
                raise ChartError(
                    f"no tag of {self.display} matches '{constraint.text}' "
                    f"(available: {', '.join(sorted(tags)[:10]) or 'none'})"
                )
            tag = tags[best]
        layer = self._chart_layer(tag)
        return Resolved(tag.replace("_", "+"), layer, 0.0)

    def download(self, chart: str, found: Resolved) -> bytes:
        response = self._get(f"/blobs/sha256:{found.digest}", limit=MAX_ARCHIVE_BYTES)
        if response.status != 200:
            raise ChartUnavailableError(
                f"chart {self.display}:{found.version}: blob answered {response.status}"
            )
        actual = hashlib.sha256(response.body).hexdigest()
        if actual != found.digest:
            raise ChartError(
                f"chart {self.display}:{found.version}: digest mismatch "
                f"(manifest says sha256:{found.digest}, blob is sha256:{actual})"
            )
        return response.body

    def _chart_layer(self, tag: str) -> str:
        response = self._get(
            f"/manifests/{tag}", {"Accept": MANIFEST_TYPES}, limit=MAX_MANIFEST_BYTES
        )
        if response.status == 404:
            raise ChartError(f"{self.display}:{tag} does not exist")
        if response.status != 200:
            raise ChartUnavailableError(
                f"{self.display}:{tag}: manifest answered {response.status}"
            )
        manifest = _json(response, self.display)
        layers = manifest.get("layers")
        for layer in layers if isinstance(layers, list) else []:
            if isinstance(layer, dict) and layer.get("mediaType") == CHART_LAYER:
                digest = str(layer.get("digest", ""))
                if digest.startswith("sha256:") and len(digest) == 71:
                    return digest.removeprefix("sha256:")
        raise ChartError(f"{self.display}:{tag} is not a Helm chart (no {CHART_LAYER} layer)")

    def _tags(self) -> list[str]:
        tags: list[str] = []
        path: str | None = "/tags/list?n=1000"
        for _ in range(MAX_TAG_PAGES):
            if path is None:
                break
            response = self._get(path, limit=MAX_MANIFEST_BYTES)
            if response.status == 404:
                raise ChartError(f"{self.display} does not exist")
            if response.status != 200:
                raise ChartUnavailableError(f"{self.display}: tag list answered {response.status}")
            page = _json(response, self.display).get("tags")
            tags += [t for t in page if isinstance(t, str)] if isinstance(page, list) else []
            path = _next_page(response.headers, self.base)
        return tags

    def _get(self, path: str, headers: dict[str, str] | None = None, *, limit: int) -> Response:
        headers = dict(headers or {})
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        response = http_get(self.base + path, headers, limit=limit)
        if response.status == 401 and not self._token:
            self._token = self._authenticate(_header(response.headers, "WWW-Authenticate"))
            headers["Authorization"] = f"Bearer {self._token}"
            response = http_get(self.base + path, headers, limit=limit)
        if response.status in (401, 403):
            raise ChartUnavailableError(f"{self.display}: access denied ({response.status})")
        return response

    def _authenticate(self, challenge: str) -> str:
        """The anonymous Bearer handshake: ask the realm for a token for this scope."""
        if not challenge.lower().startswith("bearer "):
            raise ChartUnavailableError(
                f"{self.display}: registry wants credentials ({challenge.split(' ')[0]})"
            )
        fields = dict(_CHALLENGE.findall(challenge))
        realm = fields.pop("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise ChartUnavailableError(f"{self.display}: registry sent no token realm")
        fields.setdefault("scope", f"repository:{self.name}:pull")
        query = urllib.parse.urlencode(fields)
        response = http_get(f"{realm}{'&' if '?' in realm else '?'}{query}", limit=65536)
        if response.status != 200:
            raise ChartUnavailableError(f"{self.display}: token service answered {response.status}")
        body = _json(response, self.display)
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ChartUnavailableError(f"{self.display}: token service sent no token")
        return token


def _tag(version: str) -> str:
    return version.replace("+", "_")


def _json(response: Response, display: str) -> dict[str, Any]:
    try:
        value = json.loads(response.body)
    except ValueError:
        raise ChartError(f"{display}: registry answered invalid JSON") from None
    if not isinstance(value, dict):
        raise ChartError(f"{display}: registry answered unexpected JSON")
    return value


def _header(headers: Any, name: str) -> str:
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), "")


def _next_page(headers: Any, base: str) -> str | None:
    """`Link: </v2/name/tags/list?last=x&n=1000>; rel="next"` → the path after the base."""
    link = _header(headers, "Link")
    match = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', link)
    if not match:
        return None
    target = urllib.parse.urljoin(base, match.group(1))
    prefix = base + "/tags/list"
    return target[len(base) :] if target.startswith(prefix) else None
