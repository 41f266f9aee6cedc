"""Errors of chart fetching and the bounded HTTP GET every chart source uses."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from validator.model import ValidatorError

TIMEOUT_SECONDS = 30.0


class ChartError(ValidatorError):
    """A chart that cannot be used: bad archive, no matching version, unresolvable dependency."""


class ChartUnavailableError(ChartError):
    """A chart that cannot be reached: repository down, or --offline with a cache miss."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _NoRedirectToOtherHost(urllib.request.HTTPRedirectHandler):
    """Registries redirect blob downloads to storage; never to a non-HTTP scheme."""

    def redirect_request(  # type: ignore[no-untyped-def]
        self, req, fp, code, msg, headers, newurl
    ):
        if not newurl.startswith(("http://", "https://")):
            return None
        # Credentials for the registry are never sent to where it redirects.
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.remove_header("Authorization")
        return new


_OPENER = urllib.request.build_opener(_NoRedirectToOtherHost)


def http_get(
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    limit: int,
    method: str = "GET",
    data: bytes | None = None,
) -> Response:
    """One request; non-2xx statuses are returned, transport failures raise ChartUnavailable."""
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method=method)
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as reply:
            body = reply.read(limit + 1)
            status, reply_headers = reply.status, dict(reply.headers.items())
    except urllib.error.HTTPError as error:
        with error:  # closes the connection the error holds
            body = error.read(65536) if error.fp else b""
        return Response(error.code, dict(error.headers.items()), body)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise ChartUnavailableError(f"cannot reach {_safe(url)}: {reason}") from None
    if len(body) > limit:
        raise ChartError(f"{_safe(url)} answered more than {limit} bytes")
    return Response(status, reply_headers, body)


def _safe(url: str) -> str:
    """A URL without user info or query (a token in either is never repeated)."""
    scheme, _, rest = url.partition("://")
    host_and_path = rest.rsplit("@", 1)[-1].split("?", 1)[0]
    return f"{scheme}://{host_and_path}" if rest else url


def safe_url(url: str) -> str:
    return _safe(url)
