"""Custom resource kinds known to one environment, and their compiled validators.

`CustomCompiler` compiles each distinct CRD version schema once per process (keyed by a digest
of the schema and the Kubernetes version whose ObjectMeta it embeds) and is thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from validator.model import Resource, ResourceRef, SourceLocation
from validator.schema.catalog import GroupVersionKind, VersionSchemas
from validator.schema.cel_rules import RuleTree, build_rule_tree
from validator.schema.crd import OBJECT_META, CustomKind, custom_kinds, resource_schema
from validator.schema.crd_files import CRD_API_VERSION, CrdDocument


@dataclass(frozen=True, slots=True)
class KnownKind:
    """A served custom kind and where its CRD came from (a rendered object or a repo file)."""

    kind: CustomKind
    crd: ResourceRef | None
    crd_file: SourceLocation | None
    # False for CRDs borrowed from another environment or found elsewhere in the repository:
    # their compile problems are reported where they are used, not in every environment.
    own: bool = True


@dataclass(frozen=True, slots=True)
class CompiledKind:
    validator: jsonschema_rs.Validator | None  # None when the CRD's schema does not compile
    rules: RuleTree
    error: str | None = None


@dataclass(slots=True)
class CustomKinds:
    """The custom kinds of one environment: served versions, and scope per (group, kind)."""

    served: dict[GroupVersionKind, KnownKind] = field(default_factory=dict)
    namespaced: dict[tuple[str, str], bool] = field(default_factory=dict)
    versions: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(
        self,
        body: Any,
        crd: ResourceRef | None,
        crd_file: SourceLocation | None,
        own: bool = True,
    ) -> None:
        for kind in custom_kinds(body):
            gvk = (kind.group, kind.version, kind.kind)
            if gvk in self.served:
                continue  # the environment's own CRD (added first) wins over other copies
            self.served[gvk] = KnownKind(kind, crd, crd_file, own)
            self.namespaced[(kind.group, kind.kind)] = kind.namespaced
            self.versions.setdefault((kind.group, kind.kind), []).append(kind.version)


def is_crd(resource: Resource) -> bool:
    ref = resource.ref
    return ref.kind == "CustomResourceDefinition" and ref.api_version == CRD_API_VERSION


def collect(
    resources: Iterable[Resource],
    documents: Iterable[CrdDocument],
    shared: Iterable[Resource] = (),
    repository: Iterable[CrdDocument] = (),
) -> CustomKinds:
    """The kinds one environment can validate, by precedence: its own rendered CRDs, then
    `schema.crdPaths`, then CRDs rendered in other environments (`shared`) and committed
    anywhere in the repository (`repository`): a cluster has one CRD per kind, whoever
    installs it."""
    known = CustomKinds()
    for resource in resources:
        if is_crd(resource):
            known.add(resource.body, resource.ref, None)
    for document in documents:
        known.add(document.body, None, SourceLocation(file=document.file))
    for resource in shared:
        known.add(resource.body, None, resource.origin, own=False)
    for document in repository:
        known.add(document.body, None, SourceLocation(file=document.file), own=False)
    return known


class CustomCompiler:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiled: dict[tuple[str, str], CompiledKind] = {}

    def compiled(self, kind: CustomKind, schemas: VersionSchemas) -> CompiledKind:
        key = (schemas.version, kind.digest)
        found = self._compiled.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._compiled.get(key)
            if found is None:
                found = _compile(kind, schemas.definition_closure(OBJECT_META))
                self._compiled[key] = found
        return found


def _compile(kind: CustomKind, object_meta: dict[str, Any]) -> CompiledKind:
    rules = build_rule_tree(kind.openapi)
    try:
        validator = jsonschema_rs.validator_for(resource_schema(kind, object_meta))
    except ValueError as error:  # an invalid regular expression in `pattern`, for instance
        reason = str(error).splitlines()[0]  # the first line names the problem; the rest is a dump
        return CompiledKind(
            None, rules, f"the schema of {kind.kind} {kind.version} is invalid: {reason}"
        )
    return CompiledKind(validator, rules)
