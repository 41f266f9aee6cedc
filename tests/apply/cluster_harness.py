"""What the tests do to a real kube-apiserver besides running the tool: act as another user or
as a controller, read objects, see which requests the tool sent, and reset the cluster.

The harness talks with its own token (a user the audit policy does not record), so the audit
log holds exactly the tool's requests. No kube-controller-manager runs: where a test needs what
a controller would do (a Deployment's status, a Namespace finishing its deletion), the harness
does it through the same API a controller uses (status subresource, namespace finalize).
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

WRITE_VERBS = {"create": "POST", "update": "PUT", "patch": "PATCH", "delete": "DELETE"}
WRITE_VERBS["deletecollection"] = "DELETE"
BASE_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# Events are noise; APIServices of CRD groups are the apiserver's own (it removes them with
# their CRD).
SKIPPED_RESOURCES = frozenset({"events", "apiservices"})


RETRIES_OF_429 = 50


class HarnessError(AssertionError):
    pass


class ClusterHarness:
    def __init__(self, url: str, ca_file: Path, token: str, audit_log: Path) -> None:
        self.url, self.token, self.audit_log = url, token, audit_log
        self._tls = ssl.create_default_context(cafile=str(ca_file))
        self._audit_offset = 0
        self._plurals: dict[tuple[str, str], tuple[str, bool]] = {}
        self._baseline: set[tuple[str, str, str, str]] = set()

    # --- plumbing ------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """One request; the parsed answer, None for 404, HarnessError for any other failure."""
        if query:
            path += "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
        for _ in range(RETRIES_OF_429):
            request = urllib.request.Request(self.url + path, data, headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=30, context=self._tls) as answer:
                    return json.loads(answer.read() or b"{}")
            except urllib.error.HTTPError as error:
                with error:
                    if error.code == 404:
                        return None
                    detail = error.read()[:500]
                if error.code != 429:
                    raise HarnessError(f"{method} {path}: {error.code} {detail!r}") from None
            # 429 "storage is (re)initializing": a CRD's resource just appeared or is going
            time.sleep(0.2)
        raise HarnessError(f"{method} {path}: still 429 after {RETRIES_OF_429} tries")

    def path(self, api_version: str, kind: str, name: str = "", namespace: str = "") -> str:
        plural, namespaced = self._resource(api_version, kind)
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if namespaced and namespace:
            base += f"/namespaces/{namespace}"
        return f"{base}/{plural}" + (f"/{name}" if name else "")

    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        if (api_version, kind) not in self._plurals:
            self._discover(api_version)
        if (api_version, kind) not in self._plurals:
            raise HarnessError(f"the cluster does not serve {kind} in {api_version}")
        return self._plurals[(api_version, kind)]

    def _discover(self, api_version: str) -> list[dict[str, Any]]:
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        listing = self.call("GET", base) or {}
        resources = [r for r in listing.get("resources", []) if "/" not in r["name"]]
        for entry in resources:
            self._plurals[(api_version, entry["kind"])] = (entry["name"], entry["namespaced"])
        return resources

    # --- what tests do to the world ------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> Any:
        return self.call("GET", self.path(api_version, kind, name, namespace))

    def create(self, body: Mapping[str, Any]) -> Any:
        """Create an object as another user would (not through the tool)."""
        meta = body["metadata"]
        path = self.path(body["apiVersion"], body["kind"], namespace=meta.get("namespace", ""))
        return self.call("POST", path, dict(body))

    def create_namespace(self, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        self.call("POST", "/api/v1/namespaces", body)

    def update_as(
        self, manager: str, api_version: str, kind: str, name: str, namespace: str, **changes: Any
    ) -> Any:
        """Another user's edit (an Update in managedFields, as `kubectl edit` makes): a merge
        patch of the dotted paths given with `__`, e.g. spec__replicas=9."""
        patch: dict[str, Any] = {}
        for key, value in changes.items():
            node = patch
            *parents, leaf = key.split("__")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        return self.call(
            "PATCH",
            self.path(api_version, kind, name, namespace),
            patch,
            "application/merge-patch+json",
            {"fieldManager": manager},
        )

    def set_status(
        self, api_version: str, kind: str, name: str, namespace: str, status: Mapping[str, Any]
    ) -> Any:
        """What the object's controller would write to its status subresource."""
        path = self.path(api_version, kind, name, namespace) + "/status"
        body = {"status": dict(status)}
        return self.call("PATCH", path, body, "application/merge-patch+json")

    def mark_deployment_ready_when_applied(
        self, name: str, namespace: str, timeout: float = 30.0, generation_above: int = 0
    ) -> threading.Thread:
        """Stand in for the Deployment controller: once the object exists at a generation above
        `generation_above`, report that generation rolled out. A thread, bounded by `timeout`."""

        def run() -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                live = self.get("apps/v1", "Deployment", name, namespace)
                if live is not None and live["metadata"]["generation"] > generation_above:
                    self.set_status("apps/v1", "Deployment", name, namespace, rolled_out(live))
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    # --- what the tool sent (the audit log) ------------------------------------------------

    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """The tool's requests since the test began: (HTTP method, path, query)."""
        found = []
        for event in self._audit_events():
            parts = urlsplit(event["requestURI"])
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            method = WRITE_VERBS.get(event["verb"], "GET")
            found.append((method, parts.path, query))
        return found

    def writes(self) -> list[tuple[str, str, dict[str, str]]]:
        """The tool's requests that changed state (a dry-run does not)."""
        return [r for r in self.requests() if r[0] != "GET" and r[2].get("dryRun") != "All"]

    def _audit_events(self) -> Iterator[dict[str, Any]]:
        with self.audit_log.open("rb") as log:
            log.seek(self._audit_offset)
            for line in log:
                if line.strip():
                    yield json.loads(line)

    # --- between tests -------------------------------------------------------------------

    def snapshot(self) -> None:
        """Remember what a fresh cluster holds; `reset` deletes everything else."""
        self._baseline = set(self._everything())

    def reset(self) -> None:
        """Back to the snapshot: delete what tests made, finish Namespace deletions (the
        namespace controller's job) once their contents are gone; mark the audit log's end."""
        extra = [key for key in self._everything() if key not in self._baseline]
        namespaces = [key for key in extra if key[1] == "namespaces" and key[0] == "v1"]
        for key in extra:
            if key not in namespaces:
                self.call("DELETE", _object_path(*key), query={"propagationPolicy": "Background"})
        for _, _, _, name in namespaces:
            self._finish_namespace_deletion(name)
        self._wait_gone([k for k in extra if k not in namespaces])
        self._audit_offset = self.audit_log.stat().st_size

    def _finish_namespace_deletion(self, name: str) -> None:
        path = f"/api/v1/namespaces/{name}"
        # First: Terminating, its `kubernetes` finalizer still set (409 if a test deleted it).
        with contextlib.suppress(HarnessError):
            self.call("DELETE", path)
        live = self.call("GET", path)
        if live is None:
            return
        live["spec"]["finalizers"] = []  # what the namespace controller does once it is empty
        self.call("PUT", path + "/finalize", live)
        self.call("DELETE", path)  # no finalizer left: now it goes

    def _wait_gone(self, keys: list[tuple[str, str, str, str]], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout  # CRDs go once their custom resources are gone
        for key in keys:
            while (live := self.call("GET", _object_path(*key))) is not None:
                if live["metadata"].get("finalizers") and key[1] != "customresourcedefinitions":
                    # e.g. pvc-protection: its controller does not run here (the CRD finalizer
                    # is the apiserver's own and completes by itself)
                    strip = {"metadata": {"finalizers": None}}
                    self.call("PATCH", _object_path(*key), strip, "application/merge-patch+json")
                if time.monotonic() > deadline:
                    raise HarnessError(f"{key} is still there {timeout}s after its deletion")
                time.sleep(0.05)

    def _everything(self) -> Iterator[tuple[str, str, str, str]]:
        for group_version in self._group_versions():
            for entry in self._discover(group_version):
                verbs = set(entry.get("verbs", []))
                if entry["name"] in SKIPPED_RESOURCES or not {"list", "delete"} <= verbs:
                    continue
                base = (
                    f"/api/{group_version}"
                    if "/" not in group_version
                    else f"/apis/{group_version}"
                )
                listing = self.call("GET", f"{base}/{entry['name']}") or {}
                for item in listing.get("items", []):
                    meta = item["metadata"]
                    yield group_version, entry["name"], meta.get("namespace", ""), meta["name"]

    def _group_versions(self) -> list[str]:
        groups = self.call("GET", "/apis")["groups"]
        return ["v1", *(g["preferredVersion"]["groupVersion"] for g in groups)]


def _object_path(group_version: str, plural: str, namespace: str, name: str) -> str:
    base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    return f"{base}/{plural}/{name}"


def rolled_out(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """The status the Deployment controller writes once every replica is updated and ready."""
    replicas = (deployment.get("spec") or {}).get("replicas", 1)
    return {
        "observedGeneration": deployment["metadata"]["generation"],
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
