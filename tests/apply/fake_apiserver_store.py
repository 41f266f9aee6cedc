"""TEST DOUBLE state of `FakeApiServer`: objects and simplified server-side apply semantics.

Not a Kubernetes API server. It keeps objects in memory and implements the subset the apply
stage relies on, the way the real server does it: field ownership per manager
(`managedFields`, FieldsV1), conflicts with another manager's field unless forced, removal of
fields a manager stopped applying (unless someone else still owns them), `dryRun` persisting
nothing, resourceVersion/generation bumps only on real changes, 422 for immutable fields, and
Secret `stringData` folded into `data`. Simplification: every list is atomic (one leaf).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]
DELETE = object()  # marker for `FakeStore.update`: remove the field
IMMUTABLE: dict[str, tuple[Path, ...]] = {
    "Deployment": (("spec", "selector"),),
    "StatefulSet": (("spec", "selector"),),
    "Job": (("spec", "selector"), ("spec", "template")),
}
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")


class ApiFailure(Exception):
    """An API error the HTTP layer turns into a `Status` response."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


@dataclass
class Stored:
    body: dict[str, Any]
    managers: dict[str, tuple[str, set[Path]]] = field(default_factory=dict)  # name → (op, fields)


def leaves(value: Any, prefix: Path = ()) -> dict[Path, Any]:
    """Leaf fields of an object: maps recurse, everything else (lists too) is one leaf."""
    if isinstance(value, dict) and value:
        found: dict[Path, Any] = {}
        for key, child in value.items():
            found.update(leaves(child, (*prefix, str(key))))
        return found
    return {prefix: value} if prefix else {}


def get_path(body: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(body, dict) or part not in body:
            return DELETE
        body = body[part]
    return body


def set_path(body: dict[str, Any], path: Path, value: Any) -> None:
    for part in path[:-1]:
        child = body.get(part)
        if not isinstance(child, dict):
            child = body[part] = {}
        body = child
    body[path[-1]] = copy.deepcopy(value)


def remove_path(body: dict[str, Any], path: Path) -> None:
    """Remove a leaf and any map it leaves empty."""
    parents = [body]
    for part in path[:-1]:
        child = parents[-1].get(part)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        if not parents[depth]:
            parents[depth - 1].pop(path[depth - 1], None)


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return tree


def owned_fields(body: Mapping[str, Any]) -> dict[Path, Any]:
    """What an applier owns: everything it sent except identity and status."""
    found = leaves({k: v for k, v in body.items() if k not in ("apiVersion", "kind", "status")})
    return {
        p: v for p, v in found.items() if p not in (("metadata", "name"), ("metadata", "namespace"))
    }


def fold_string_data(body: dict[str, Any]) -> None:
    if body.get("kind") == "Secret" and isinstance(body.get("stringData"), dict):
        data = body.setdefault("data", {})
        for key, value in body.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()


class FakeStore:
    """Objects keyed by (apiVersion, kind, namespace, name); thread-safe through one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[tuple[str, str, str, str], Stored] = {}
        self._versions = itertools.count(1000)
        self._uids = itertools.count(1)

    @staticmethod
    def key(body: Mapping[str, Any]) -> tuple[str, str, str, str]:
        meta = body.get("metadata") or {}
        return (body["apiVersion"], body["kind"], meta.get("namespace") or "", meta["name"])

    def get(self, key: tuple[str, str, str, str]) -> dict[str, Any] | None:
        stored = self.objects.get(key)
        return self.render(stored) if stored else None

    def render(self, stored: Stored) -> dict[str, Any]:
        body = copy.deepcopy(stored.body)
        body["metadata"]["managedFields"] = [
            {
                "manager": name,
                "operation": operation,
                "apiVersion": body["apiVersion"],
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1(paths),
            }
            for name, (operation, paths) in sorted(stored.managers.items())
        ]
        return body

    def apply(
        self, body: dict[str, Any], manager: str, *, force: bool, dry_run: bool
    ) -> dict[str, Any]:
        body = copy.deepcopy(body)
        meta = body.get("metadata") or {}
        if meta.get("managedFields") is not None:
            raise ApiFailure(400, "BadRequest", "metadata.managedFields must be nil")
        fold_string_data(body)
        key = self.key(body)
        applied = owned_fields(body)
        with self.lock:
            live = self.objects.get(key)
            if live is None:
                return self._create(key, body, manager, set(applied), dry_run)
            return self._update(key, live, applied, manager, force=force, dry_run=dry_run)

    def update(
        self, key: tuple[str, str, str, str], manager: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """An `Update` by another manager (kubectl edit, a controller): wins and takes ownership.

        `changes` maps dotted paths (`spec.replicas`) to new values, or `DELETE`.
        """
        with self.lock:
            stored = self.objects[key]
            merged = copy.deepcopy(stored.body)
            taken: set[Path] = set()
            for dotted, value in changes.items():
                path = tuple(dotted.split("."))
                if value is DELETE:
                    remove_path(merged, path)
                    continue
                set_path(merged, path, value)
                taken |= set(leaves(value, path)) if isinstance(value, dict) else {path}
            managers = self._transfer(stored.managers, taken, manager, "Update")
            return self._store(key, stored, merged, managers)

    def set_status(self, key: tuple[str, str, str, str], status: Mapping[str, Any]) -> None:
        with self.lock:
            stored = self.objects[key]
            stored.body["status"] = copy.deepcopy(dict(status))
            stored.body["metadata"]["resourceVersion"] = str(next(self._versions))

    def delete(self, key: tuple[str, str, str, str]) -> dict[str, Any]:
        with self.lock:
            stored = self.objects.pop(key)
            return self.render(stored)

    def _create(
        self, key: Any, body: dict[str, Any], manager: str, applied: set[Path], dry_run: bool
    ) -> dict[str, Any]:
        body["metadata"].update(
            uid=f"00000000-0000-0000-0000-{next(self._uids):012d}",
            generation=1,
            creationTimestamp="2026-01-01T00:00:00Z",
            resourceVersion="" if dry_run else str(next(self._versions)),
        )
        stored = Stored(body=body, managers={manager: ("Apply", applied)})
        if not dry_run:
            self.objects[key] = stored
        return self.render(stored)

    def _update(
        self,
        key: tuple[str, str, str, str],
        live: Stored,
        applied: dict[Path, Any],
        manager: str,
        *,
        force: bool,
        dry_run: bool,
    ) -> dict[str, Any]:
        others = {name: entry for name, entry in live.managers.items() if name != manager}
        conflicts = sorted(
            (name, path)
            for name, (_, paths) in others.items()
            for path in paths & applied.keys()
            if get_path(live.body, path) != applied[path]
        )
        if conflicts and not force:
            listed = "; ".join(f'conflict with "{n}": .{".".join(p)}' for n, p in conflicts)
            raise ApiFailure(
                409, "Conflict", f"Apply failed with {len(conflicts)} conflicts: {listed}"
            )
        still_owned = set().union(*(paths for _, paths in others.values())) if others else set()
        previous = live.managers.get(manager, ("Apply", set()))[1]
        merged = copy.deepcopy(live.body)
        for path in previous - applied.keys() - still_owned:
            remove_path(merged, path)
        for path, value in applied.items():
            set_path(merged, path, value)
        self._check_immutable(live.body, merged)
        managers = self._transfer(live.managers, set(applied), manager, "Apply", replace=True)
        if dry_run:
            return self.render(Stored(body=merged, managers=managers))
        return self._store(key, live, merged, managers)

    @staticmethod
    def _transfer(
        managers: dict[str, tuple[str, set[Path]]],
        paths: set[Path],
        manager: str,
        operation: str,
        *,
        replace: bool = False,
    ) -> dict[str, tuple[str, set[Path]]]:
        result = {name: (op, owned - paths) for name, (op, owned) in managers.items()}
        kept = set() if replace else result.get(manager, (operation, set()))[1]
        result[manager] = (operation, kept | paths)
        return {name: entry for name, entry in result.items() if entry[1]}

    def _store(
        self,
        key: tuple[str, str, str, str],
        live: Stored,
        merged: dict[str, Any],
        managers: dict[str, tuple[str, set[Path]]],
    ) -> dict[str, Any]:
        if merged == live.body and managers == live.managers:
            return self.render(live)  # a no-op write does not bump resourceVersion
        spec_changed = _without_meta(merged) != _without_meta(live.body)
        if spec_changed:
            merged["metadata"]["generation"] = int(live.body["metadata"]["generation"]) + 1
        merged["metadata"]["resourceVersion"] = str(next(self._versions))
        self.objects[key] = Stored(body=merged, managers=managers)
        return self.render(self.objects[key])

    @staticmethod
    def _check_immutable(live: dict[str, Any], merged: dict[str, Any]) -> None:
        kind, name = live["kind"], live["metadata"]["name"]
        paths = IMMUTABLE.get(kind, ())
        if kind == "Secret" and live.get("immutable") is True:
            paths = (("data",),)
        for path in paths:
            before, after = get_path(live, path), get_path(merged, path)
            if before != after:
                # Like the real apiserver, the message echoes the rejected value.
                raise ApiFailure(
                    422,
                    "Invalid",
                    f'{kind} "{name}" is invalid: {".".join(path)}: Invalid value: '
                    f"{json.dumps(after, sort_keys=True)}: field is immutable",
                )


def _without_meta(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("metadata", "status")}
