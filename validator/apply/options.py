"""What an apply run may do: guards, ignore and sensitive-field rules, timeouts (plain data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from validator.apply.kube import FIELD_MANAGER, ApplyError
from validator.model import ResourceRef

RECREATE_ANNOTATION = "gitops-validator.dev/recreate-on-immutable"
PROTECTED_KINDS = frozenset({"Namespace", "CustomResourceDefinition", "PersistentVolume"})
DEFAULT_MAX_DELETIONS = 10


@dataclass(frozen=True, slots=True)
class FieldRule:
    """JSON pointers (RFC 6901) for the objects matching kind/name/namespace (globs; None = any)."""

    paths: tuple[str, ...]
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None

    def matches(self, ref: ResourceRef) -> bool:
        return all(
            pattern is None or fnmatchcase(value or "", pattern)
            for pattern, value in (
                (self.kind, ref.kind),
                (self.name, ref.name),
                (self.namespace, ref.namespace),
            )
        )


def paths_for(rules: Sequence[FieldRule], ref: ResourceRef) -> tuple[str, ...]:
    return tuple(path for rule in rules if rule.matches(ref) for path in rule.paths)


def parse_field_rules(data: Any, *, what: str = "ignore") -> tuple[FieldRule, ...]:
    """Rules from configuration: `[{kind?, name?, namespace?, paths: [/json/pointer, ...]}]`."""
    if data is None:
        return ()
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise ApplyError(f"apply {what} rules must be a list")
    return tuple(
        _parse_rule(entry, f"apply {what} rule {index + 1}") for index, entry in enumerate(data)
    )


def _parse_rule(entry: Any, label: str) -> FieldRule:
    if not isinstance(entry, Mapping):
        raise ApplyError(f"{label}: must be a mapping")
    unknown = sorted(set(entry) - {"kind", "name", "namespace", "paths"})
    if unknown:
        raise ApplyError(f"{label}: unknown key {unknown[0]!r}")
    paths = entry.get("paths")
    if not isinstance(paths, Sequence) or isinstance(paths, str) or not paths:
        raise ApplyError(f"{label}: `paths` must be a non-empty list of JSON pointers")
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ApplyError(f"{label}: {path!r} is not a JSON pointer (must start with '/')")
    selectors = {key: entry.get(key) for key in ("kind", "name", "namespace")}
    for key, value in selectors.items():
        if value is not None and not isinstance(value, str):
            raise ApplyError(f"{label}: `{key}` must be a string")
    return FieldRule(paths=tuple(paths), **selectors)


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """Knobs of one apply/drift run; defaults are the safe choice."""

    dry_run: bool = False
    prune: bool = False
    # More planned deletions than this aborts the run before anything changes; None = no limit.
    max_deletions: int | None = DEFAULT_MAX_DELETIONS
    # Of PROTECTED_KINDS, the kinds that may be pruned anyway.
    prune_protected_kinds: frozenset[str] = frozenset()
    ignore_rules: tuple[FieldRule, ...] = ()
    sensitive_rules: tuple[FieldRule, ...] = ()
    field_manager: str = FIELD_MANAGER
    # The ApplySet parent; its name defaults to `gitops-validator-<environment>`.
    inventory_name: str | None = None
    inventory_namespace: str = "default"
    inventory_kind: str = "Secret"  # Secret | ConfigMap
    establish_timeout: float = 60.0
    health_timeout: float = 120.0
    poll_interval: float = 2.0
    wait_for_health: bool = True

    def __post_init__(self) -> None:
        if self.inventory_kind not in ("Secret", "ConfigMap"):
            raise ApplyError("the ApplySet parent must be a Secret or a ConfigMap")
        if self.max_deletions is not None and self.max_deletions < 0:
            raise ApplyError("max deletions must be zero or more")
        unknown = sorted(self.prune_protected_kinds - PROTECTED_KINDS)
        if unknown:
            raise ApplyError(f"{unknown[0]} is not a protected kind")
