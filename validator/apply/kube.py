"""The only module that touches the `kubernetes` package: a small typed surface over ApiClient.

Raw `param_serialize` + `call_api` instead of the DynamicClient: discovery is limited to the
group-versions the bundle uses (one request each, cached for the run, refreshed on a miss),
nothing is written to the DynamicClient's shared temp-file cache, and error bodies are parsed
here so that no server text (which can echo a Secret value) ends up in an exception message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from kubernetes import config as kube_config

from validator.model import AccessError, DeliveryError, ResourceRef

FIELD_MANAGER = "gitops-validator"
APPLY_PATCH = "application/apply-patch+yaml"
REQUEST_TIMEOUT_SECONDS = 30.0


class ApplyError(DeliveryError):
    """Base of every apply-stage failure; messages never hold secret values."""


class KubeApiError(ApplyError):
    """A non-2xx answer. `str()` is value-free; `detail` is the server's text (may echo values)."""

    def __init__(self, method: str, path: str, status: int, reason: str, detail: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status} {reason}")
        self.status, self.reason, self.detail = status, reason, detail

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def immutable(self) -> bool:
        """The API rejected a change of an immutable field (Invalid + the apiserver's wording)."""
        text = self.detail.lower()
        return self.status == 422 and ("field is immutable" in text or "immutable field" in text)


class UnknownKindError(ApplyError):
    """The cluster does not serve this apiVersion/kind (e.g. its CRD is not established yet)."""


class ClusterUnreachableError(ApplyError, AccessError):
    """No answer from the cluster, no usable kubeconfig, or the cluster refused our login."""


@dataclass(frozen=True, slots=True)
class ApiResource:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None, name: str | None = None) -> str:
        group_version = self.api_version
        base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        return base + (f"/{quote(name, safe='')}" if name else "")


class KubeClient:
    """A cluster connection for one run; use as a context manager so sockets are closed."""

    def __init__(self, api_client: Any) -> None:
        self._api = api_client
        self._discovered: dict[str, dict[str, ApiResource]] = {}

    @classmethod
    def from_kubeconfig(
        cls, kubeconfig: Path | None = None, context: str | None = None
    ) -> KubeClient:
        try:
            api_client = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=str(kubeconfig) if kubeconfig else None,
                context=context,
                persist_config=False,
            )
        except (kube_config.ConfigException, OSError, ValueError) as error:
            raise ClusterUnreachableError(f"cannot load kubeconfig: {error}") from None
        return cls(api_client)

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()
        self._api.rest_client.pool_manager.clear()

    def _server(self) -> str:
        """The API server's URL without any user:password part."""
        host = str(getattr(self._api.configuration, "host", "") or "?")
        scheme, _, rest = host.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}" if rest else host

    def ping(self) -> None:
        """Ask the cluster who it is before anything is decrypted: unreachable, refused
        (401/403) or unable to serve (5xx) is ClusterUnreachableError, so no secret is
        resolved for a cluster that cannot take the apply."""
        try:
            self._request("GET", "/api")
        except KubeApiError as error:
            if error.status in (401, 403):
                raise ClusterUnreachableError(
                    f"the cluster refused the credentials: {error}"
                ) from None
            if error.status >= 500:
                raise ClusterUnreachableError(f"the cluster cannot serve: {error}") from None
            raise

    # --- discovery -----------------------------------------------------------------------

    def resource(self, api_version: str, kind: str) -> ApiResource:
        """Where `kind` lives; one discovery request per group-version, re-read once on a miss."""
        known = self._discovered.get(api_version)
        if known is None or kind not in known:
            known = self._discover(api_version)
        if kind not in known:
            raise UnknownKindError(f"the cluster does not serve {kind} in {api_version}")
        return known[kind]

    def forget_discovery(self) -> None:
        """Drop cached discovery, e.g. after CRDs were established."""
        self._discovered.clear()

    def _discover(self, api_version: str) -> dict[str, ApiResource]:
        path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        try:
            listing = self._request("GET", path)
        except KubeApiError as error:
            if error.not_found:
                self._discovered[api_version] = {}
                return {}
            raise
        found = {
            str(entry["kind"]): ApiResource(
                api_version, str(entry["kind"]), str(entry["name"]), bool(entry["namespaced"])
            )
            for entry in listing.get("resources", [])
            if "/" not in str(entry.get("name", ""))  # subresources such as deployments/status
        }
        self._discovered[api_version] = found
        return found

    # --- objects -------------------------------------------------------------------------

    def object_path(self, ref: ResourceRef) -> str:
        return self.resource(ref.api_version, ref.kind).path(ref.namespace, ref.name)

    def get(self, ref: ResourceRef) -> dict[str, Any] | None:
        try:
            return self._request("GET", self.object_path(ref))
        except KubeApiError as error:
            if error.not_found:
                return None
            raise

    def apply(
        self,
        body: Mapping[str, Any],
        *,
        dry_run: bool,
        field_manager: str = FIELD_MANAGER,
        force: bool = True,
    ) -> dict[str, Any]:
        """Server-side apply (create or update); with `dry_run` nothing is persisted."""
        query = [("fieldManager", field_manager), ("force", "true" if force else "false")]
        if dry_run:
            query.append(("dryRun", "All"))
        path = self.object_path(ResourceRef.of(body))
        return self._request("PATCH", path, query, body=dict(body), content_type=APPLY_PATCH)

    def delete(self, ref: ResourceRef, propagation: str = "Background") -> bool:
        """Delete; False when it was already gone."""
        query = [("propagationPolicy", propagation)]
        try:
            self._request("DELETE", self.object_path(ref), query)
        except KubeApiError as error:
            if error.not_found:
                return False
            raise
        return True

    def _request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        *,
        body: dict[str, Any] | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": content_type or "application/json"}
        request = self._api.param_serialize(
            method,
            path,
            query_params=query or None,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(*request, _request_timeout=REQUEST_TIMEOUT_SECONDS)
            raw = response.read()
        except Exception as error:  # urllib3 raises many types; none may escape unclassified
            raise ClusterUnreachableError(
                f"cannot reach the cluster at {self._server()} ({method} {path}: "
                f"{_connection_problem(error)})"
            ) from None
        parsed = _json_object(raw)
        if not 200 <= response.status <= 299:
            detail = str(parsed.get("message") or "")
            reason = str(parsed.get("reason") or response.reason or "")
            raise KubeApiError(method, path, response.status, reason, detail)
        return parsed


def _connection_problem(error: Exception) -> str:
    """What went wrong, in words, from urllib3's wrapped errors (never their full text, which
    may quote a request)."""
    reason = getattr(error, "reason", None) or error
    name = type(reason).__name__
    text = str(reason).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "host name not resolved"
    if "timed out" in text or "timeout" in name.lower():
        return "timed out"
    if "ssl" in name.lower() or "certificate" in text:
        return "TLS handshake failed (certificate or protocol)"
    return name


def _json_object(raw: bytes | None) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
