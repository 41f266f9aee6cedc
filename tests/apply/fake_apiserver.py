"""TEST DOUBLE: `FakeApiServer`, an in-process HTTP server standing in for kube-apiserver.

There is no Kubernetes API server binary on this machine, so the apply stage's tests run the
REAL `kubernetes` client over real HTTP against this double on 127.0.0.1 (ephemeral port, one
thread). It serves: discovery (`/api`, `/apis`, group-version resource lists with namespaced
flags), GET / LIST (label selectors) / DELETE (propagation via ownerReferences, namespace
contents), and server-side apply PATCH (`application/apply-patch+yaml`, `fieldManager`,
`force`, `dryRun=All`) with the semantics in `fake_apiserver_store`. CRDs become discoverable
only once Established (after `establish_delay`, or never with `auto_establish=False`). Tests
drive the world as a controller or another user would: `update_as`, `set_status`, and
`auto_ready` marks workloads ready on every write.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fake_apiserver_store import ApiFailure, FakeStore
from fake_apiserver_verbs import collection, item

TOKEN = "fake-apiserver-test-token"
BUILTIN: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "Service"): ("services", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "PersistentVolume"): ("persistentvolumes", False),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("networking.k8s.io/v1", "Ingress"): ("ingresses", True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
}
CRD_KEY = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


class FakeApiServer:
    """TEST DOUBLE of kube-apiserver; start with `start()`, stop with `stop()`."""

    def __init__(self, *, establish_delay: float = 0.2, auto_establish: bool = True) -> None:
        self.store = FakeStore()
        self.establish_delay, self.auto_establish = establish_delay, auto_establish
        self.auto_ready = False
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._crd_created: dict[str, float] = {}
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        for namespace in ("default", "kube-system"):
            self.create_namespace(namespace)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    def write_kubeconfig(self, path: Path, context: str = "fake") -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "tester", "user": {"token": TOKEN}}],
            "contexts": [{"name": context, "context": {"cluster": "fake", "user": "tester"}}],
            "current-context": context,
        }
        path.write_text(json.dumps(config))
        return path

    # --- what tests do to the world ----------------------------------------------------

    def create_namespace(self, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        self.store.apply(body, "test-setup", force=True, dry_run=False)

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> Any:
        return self.store.get((api_version, kind, namespace, name))

    def update_as(
        self, manager: str, api_version: str, kind: str, name: str, namespace: str, **changes: Any
    ) -> Any:
        """Another manager's Update (dotted paths given with `__`, e.g. spec__replicas=9)."""
        dotted = {key.replace("__", "."): value for key, value in changes.items()}
        return self.store.update((api_version, kind, namespace, name), manager, dotted)

    def set_status(
        self, api_version: str, kind: str, name: str, namespace: str, status: Mapping[str, Any]
    ) -> None:
        self.store.set_status((api_version, kind, namespace, name), status)

    def writes(self) -> list[tuple[str, str, dict[str, str]]]:
        """Requests that change state (a dry-run PATCH does not)."""
        return [r for r in self.requests if r[0] in ("PATCH", "DELETE") and "dryRun" not in r[2]]

    # --- API ---------------------------------------------------------------------------

    def resources(self) -> dict[tuple[str, str], tuple[str, bool]]:
        """Built-in kinds plus the kinds of Established CRDs."""
        found = dict(BUILTIN)
        for (api_version, kind, _, name), stored in list(self.store.objects.items()):
            if (api_version, kind) != CRD_KEY or not self._established(name, stored.body):
                continue
            spec = stored.body["spec"]
            for version in spec.get("versions", []):
                found[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = (
                    spec["names"]["plural"],
                    spec.get("scope") == "Namespaced",
                )
        return found

    def _established(self, name: str, body: dict[str, Any]) -> bool:
        due = self._crd_created.setdefault(name, time.monotonic() + self.establish_delay)
        established = self.auto_establish and time.monotonic() >= due
        body["status"] = {
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
                {
                    "type": "Established",
                    "status": "True" if established else "False",
                    "reason": "InitialNamesAccepted" if established else "Installing",
                },
            ]
        }
        return established

    def handle(self, method: str, url: str, body: bytes, content_type: str) -> tuple[int, Any]:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.requests.append((method, parts.path, query))
        segments = [unquote(s) for s in parts.path.strip("/").split("/") if s]
        with self.store.lock:
            self.resources()  # refresh CRD status before answering anything
            if segments == ["api"]:
                return 200, {"kind": "APIVersions", "versions": ["v1"]}
            if segments == ["apis"]:
                return 200, self._group_list()
            group_version, rest = _split_group_version(segments)
            if not rest:
                return 200, self._resource_list(group_version)
            return _route(self, method, group_version, rest, query, body, content_type)

    def _group_list(self) -> dict[str, Any]:
        groups: dict[str, list[str]] = {}
        for api_version, _ in self.resources():
            if "/" in api_version:
                group, version = api_version.split("/")
                groups.setdefault(group, []).append(version)
        entries = [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs]}
            for g, vs in sorted(groups.items())
        ]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": entries}

    def _resource_list(self, group_version: str) -> dict[str, Any]:
        listed = [
            {"name": plural, "kind": kind, "namespaced": namespaced, "verbs": ["get", "patch"]}
            for (api_version, kind), (plural, namespaced) in sorted(self.resources().items())
            if api_version == group_version
        ]
        if not listed:
            raise ApiFailure(404, "NotFound", f"the server could not find {group_version}")
        return {"kind": "APIResourceList", "groupVersion": group_version, "resources": listed}


def _split_group_version(segments: list[str]) -> tuple[str, list[str]]:
    if segments[:1] == ["api"] and len(segments) >= 2:
        return segments[1], segments[2:]
    if segments[:1] == ["apis"] and len(segments) >= 3:
        return f"{segments[1]}/{segments[2]}", segments[3:]
    raise ApiFailure(404, "NotFound", "the server could not find the requested resource")


def _route(
    server: FakeApiServer,
    method: str,
    group_version: str,
    rest: list[str],
    query: dict[str, str],
    body: bytes,
    content_type: str,
) -> tuple[int, Any]:
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    by_plural = {
        plural: (kind, namespaced)
        for (api_version, kind), (plural, namespaced) in server.resources().items()
        if api_version == group_version
    }
    if rest[0] not in by_plural or len(rest) > 2:
        raise ApiFailure(404, "NotFound", f"the server could not find {'/'.join(rest)}")
    kind, namespaced = by_plural[rest[0]]
    if namespaced and len(rest) == 2 and not namespace:
        raise ApiFailure(404, "NotFound", "a namespaced object needs a namespace in its path")
    if len(rest) == 1:
        return collection(server, method, group_version, kind, namespace, query)
    return item(
        server, method, (group_version, kind, namespace, rest[1]), query, body, content_type
    )


def _handler_for(server: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    raise ApiFailure(401, "Unauthorized", "Unauthorized")
                code, answer = server.handle(
                    self.command, self.path, body, self.headers.get("Content-Type", "")
                )
            except ApiFailure as failure:
                code, answer = failure.code, _status(failure)
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PATCH = do_DELETE = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


def _status(failure: ApiFailure) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": failure.message,
        "reason": failure.reason,
        "code": failure.code,
    }
