"""The offline catalogue of built-in Kubernetes schemas, one per Kubernetes minor version.

The strict JSON schemas come from the `kubernetes-validate` wheel: one directory per minor version
(`v1.33.0-local-strict/`) whose `_definitions.json` holds every OpenAPI definition under `$defs`;
each top-level kind carries `x-kubernetes-group-version-kind` and `additionalProperties: false`.
We index those definitions by (group, version, kind) and compile a validator per kind on first use.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from validator.model import ValidatorError

_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
_MINOR_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")

GroupVersionKind = tuple[str, str, str]


class SchemaCatalogError(ValidatorError):
    """The bundled schemas are missing or a Kubernetes version cannot be understood."""


def _schema_root() -> Any:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


@cache
def bundled_versions() -> tuple[tuple[int, int], ...]:
    """The (major, minor) versions whose strict schemas the wheel ships, ascending."""
    found = []
    for entry in _schema_root().iterdir():
        match = _VERSION_DIR.match(entry.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    if not found:
        raise SchemaCatalogError("kubernetes-validate ships no strict schemas; reinstall it")
    return tuple(sorted(found))


def resolve_version(requested: str) -> str:
    """Map a Kubernetes version ("1.33", "v1.33.2") to the nearest bundled minor version.

    An exact minor match wins; a version older than every bundled one uses the oldest, a newer
    one the newest (the API surface of adjacent minors differs little, and the newest schemas
    are the best guess for a cluster newer than the wheel).
    """
    match = _MINOR_VERSION.match(requested.strip())
    if not match:
        raise SchemaCatalogError(
            f"kubernetesVersion {requested!r} is not a Kubernetes version like '1.33'"
        )
    wanted = (int(match.group(1)), int(match.group(2)))
    versions = bundled_versions()
    nearest = min(versions, key=lambda have: (abs(have[1] - wanted[1]), -have[1]))
    if wanted[0] != 1:
        nearest = versions[-1]
    return f"{nearest[0]}.{nearest[1]}"


def _merge_type_only_one_of(definition: dict[str, Any]) -> dict[str, Any]:
    """IntOrString and Quantity are `oneOf` two nullable types, so `null` matches both branches
    and fails `oneOf`; the API server treats null as unset. One merged type list is equivalent."""
    branches = definition.get("oneOf")
    if not isinstance(branches, list) or not all(set(b) == {"type"} for b in branches):
        return definition
    merged: list[str] = []
    for branch in branches:
        types = branch["type"] if isinstance(branch["type"], list) else [branch["type"]]
        merged.extend(t for t in types if t not in merged)
    return {key: value for key, value in definition.items() if key != "oneOf"} | {"type": merged}


@dataclass(frozen=True, slots=True)
class VersionSchemas:
    """The definitions of one Kubernetes minor version and the index of its kinds."""

    version: str
    definitions: dict[str, Any]
    kinds: dict[GroupVersionKind, str]  # (group, version, kind) → definition name
    groups: frozenset[str]

    def definition_closure(self, name: str) -> dict[str, Any]:
        """`name` and every definition it references, for embedding in another schema."""
        closure: dict[str, Any] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in closure:
                continue
            closure[current] = self.definitions[current]
            text = json.dumps(closure[current])
            pending.extend(re.findall(r'"#/\$defs/([^"]+)"', text))
        return closure


def load_version(version: str) -> VersionSchemas:
    directory = _schema_root().joinpath(f"v{version}.0-local-strict")
    try:
        document = json.loads(directory.joinpath("_definitions.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SchemaCatalogError(f"cannot read bundled schemas for {version}: {error}") from error
    definitions = {name: _merge_type_only_one_of(body) for name, body in document["$defs"].items()}
    kinds: dict[GroupVersionKind, str] = {}
    for name, body in definitions.items():
        gvks = body.get("x-kubernetes-group-version-kind", [])
        if len(gvks) == 1:  # meta types such as DeleteOptions list dozens; they are not objects
            gvk = gvks[0]
            kinds[(gvk["group"], gvk["version"], gvk["kind"])] = name
    groups = frozenset(group for group, _, _ in kinds)
    return VersionSchemas(version, definitions, kinds, groups)


class BuiltinCatalog:
    """Compiled validators for built-in kinds, shared across environments and threads.

    Each (Kubernetes version, group, version, kind) is compiled once, on first use; the lock only
    guards loading and compiling, lookups of already-compiled validators take no lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, VersionSchemas] = {}
        self._validators: dict[tuple[str, str, str, str], jsonschema_rs.Validator] = {}

    def schemas(self, version: str) -> VersionSchemas:
        loaded = self._versions.get(version)
        if loaded is None:
            with self._lock:
                loaded = self._versions.get(version)
                if loaded is None:
                    loaded = load_version(version)
                    self._versions[version] = loaded
        return loaded

    def validator(self, version: str, gvk: GroupVersionKind) -> jsonschema_rs.Validator | None:
        key = (version, *gvk)
        compiled = self._validators.get(key)
        if compiled is not None:
            return compiled
        schemas = self.schemas(version)
        name = schemas.kinds.get(gvk)
        if name is None:
            return None
        with self._lock:
            compiled = self._validators.get(key)
            if compiled is None:
                compiled = jsonschema_rs.validator_for(
                    {
                        "$schema": _SCHEMA_DIALECT,
                        "$ref": f"#/$defs/{name}",
                        "$defs": schemas.definition_closure(name),
                    }
                )
                self._validators[key] = compiled
        return compiled
