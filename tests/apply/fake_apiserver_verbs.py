"""TEST DOUBLE verbs of `FakeApiServer`: LIST, GET, server-side apply PATCH and DELETE."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fake_apiserver_store import ApiFailure

if TYPE_CHECKING:
    from fake_apiserver import FakeApiServer

Key = tuple[str, str, str, str]
APPLY_PATCH = "application/apply-patch+yaml"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def collection(
    server: FakeApiServer,
    method: str,
    group_version: str,
    kind: str,
    namespace: str,
    query: dict[str, str],
) -> tuple[int, Any]:
    if method != "GET":
        raise ApiFailure(405, "MethodNotAllowed", f"{method} is not supported on a collection")
    selector = _selector(query.get("labelSelector", ""))
    items = [
        server.store.render(stored)
        for (api_version, stored_kind, stored_ns, _), stored in sorted(server.store.objects.items())
        if (api_version, stored_kind) == (group_version, kind)
        and (not namespace or stored_ns == namespace)
        and _matches(stored.body, selector)
    ]
    return 200, {"kind": f"{kind}List", "apiVersion": group_version, "items": items}


def item(
    server: FakeApiServer, method: str, key: Key, query: dict[str, str], body: bytes, ctype: str
) -> tuple[int, Any]:
    kind, name = key[1], key[3]
    if method == "GET":
        found = server.store.get(key)
        if found is None:
            raise ApiFailure(404, "NotFound", f'{kind.lower()}s "{name}" not found')
        return 200, found
    if method == "DELETE":
        return 200, _delete(server, key, query.get("propagationPolicy", "Background"))
    if method == "PATCH":
        return _apply(server, key, query, body, ctype)
    raise ApiFailure(405, "MethodNotAllowed", f"{method} is not supported by this test double")


def _apply(
    server: FakeApiServer, key: Key, query: dict[str, str], body: bytes, ctype: str
) -> tuple[int, Any]:
    api_version, kind, namespace, name = key
    if ctype.split(";")[0].strip() != APPLY_PATCH:
        raise ApiFailure(415, "UnsupportedMediaType", f"only {APPLY_PATCH} is implemented")
    manager = query.get("fieldManager")
    if not manager:
        raise ApiFailure(422, "Invalid", "PATCH with apply requires fieldManager")
    try:
        patch = json.loads(body)  # JSON is YAML; the kubernetes client sends JSON
    except json.JSONDecodeError:
        raise ApiFailure(400, "BadRequest", "the body is not a JSON/YAML object") from None
    meta = patch.get("metadata") or {}
    if (patch.get("apiVersion"), patch.get("kind"), meta.get("name")) != (api_version, kind, name):
        raise ApiFailure(400, "BadRequest", "the body does not match the request path")
    if namespace:
        if meta.get("namespace", namespace) != namespace:
            raise ApiFailure(400, "BadRequest", "the namespace of the body does not match")
        patch["metadata"]["namespace"] = namespace
        if server.store.get(("v1", "Namespace", "", namespace)) is None:
            raise ApiFailure(404, "NotFound", f'namespaces "{namespace}" not found')
    dry_run = query.get("dryRun") == "All"
    existed = server.store.get(key) is not None
    result = server.store.apply(patch, manager, force=query.get("force") == "true", dry_run=dry_run)
    if not dry_run and server.auto_ready and kind in WORKLOADS:
        server.store.set_status(key, _ready_status(result))
        result = server.store.get(key)
    return (200 if existed else 201), result


def _ready_status(body: dict[str, Any]) -> dict[str, Any]:
    """What the workload controllers would report once every replica is up to date."""
    replicas = int(body.get("spec", {}).get("replicas", 1))
    generation = body["metadata"]["generation"]
    if body["kind"] == "DaemonSet":
        counts = (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberReady",
        )
        return {"observedGeneration": generation, **dict.fromkeys(counts, 1)}
    status: dict[str, Any] = {
        "observedGeneration": generation,
        **dict.fromkeys(
            ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"), replicas
        ),
    }
    if body["kind"] == "Deployment":
        status["conditions"] = [{"type": "Available", "status": "True"}]
    else:
        status.update(currentReplicas=replicas, currentRevision="r1", updateRevision="r1")
    return status


def _delete(server: FakeApiServer, key: Key, propagation: str) -> dict[str, Any]:
    if server.store.get(key) is None:
        raise ApiFailure(404, "NotFound", f'{key[1].lower()}s "{key[3]}" not found')
    removed = server.store.delete(key)
    uid = removed["metadata"]["uid"]
    for other_key, stored in list(server.store.objects.items()):
        owners = stored.body["metadata"].get("ownerReferences") or []
        in_namespace = key[1] == "Namespace" and other_key[2] == key[3]
        owned = any(ref.get("uid") == uid for ref in owners)
        if in_namespace or (owned and propagation != "Orphan"):
            server.store.objects.pop(other_key, None)
        elif owned:
            stored.body["metadata"]["ownerReferences"] = [r for r in owners if r.get("uid") != uid]
    return {"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"uid": uid}}


def _selector(text: str) -> list[tuple[str, str | None]]:
    terms: list[tuple[str, str | None]] = []
    for term in filter(None, (part.strip() for part in text.split(","))):
        label, _, value = term.partition("=")
        terms.append((label, value.lstrip("=") if "=" in term else None))
    return terms


def _matches(body: dict[str, Any], selector: list[tuple[str, str | None]]) -> bool:
    labels = body.get("metadata", {}).get("labels") or {}
    return all(
        label in labels and (value is None or labels[label] == value) for label, value in selector
    )
