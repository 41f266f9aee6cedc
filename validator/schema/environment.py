"""Validate the rendered objects of one environment: one `EnvironmentCheck` per environment,
sharing the process-wide compiled-schema caches of `SchemaValidator`."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import jsonschema_rs

from validator.model import Category, Finding, Resource, Severity
from validator.schema import deprecations
from validator.schema.catalog import BuiltinCatalog, VersionSchemas
from validator.schema.cel_rules import evaluate
from validator.schema.custom import CustomCompiler, CustomKinds, KnownKind
from validator.schema.located import LocatedSchema, SchemaLocations
from validator.schema.messages import describe
from validator.schema.metadata import Problem, check_metadata
from validator.schema.scope import is_cluster_scoped_builtin, split_api_version
from validator.schema.workloads import check_pod_controller

SCHEMA_INVALID = "schema-invalid"
SCHEMA_UNKNOWN_KIND = "schema-unknown-kind"
SCHEMA_DEPRECATED_API = "schema-deprecated-api"
MAX_SCHEMA_ERRORS_PER_OBJECT = 25


def plain_json(value: Any) -> Any:
    """A copy jsonschema-rs accepts: dicts, lists and scalars only (dates become ISO strings)."""
    if isinstance(value, Mapping):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def prepared_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The object as the checks read it: a plain dict (the checks test `isinstance(x, dict)`,
    much cheaper than the Mapping ABC), without SOPS metadata: an encrypted manifest carries a
    top-level `sops:` block that is not part of the object the cluster receives."""
    plain = body if type(body) is dict else plain_json(body)
    if "sops" not in plain:
        return plain
    return {key: value for key, value in plain.items() if key != "sops"}


@dataclass(frozen=True, slots=True)
class KindPlan:
    group: str
    validator: jsonschema_rs.Validator | None  # a built-in kind
    custom: KnownKind | None  # a kind a CRD serves
    deprecation: str | None  # the message, when the apiVersion is deprecated or removed
    removed: bool
    namespaced: bool | None  # None: nobody defines the kind
    located: LocatedSchema | None = None  # from schema.locations, when nothing else serves it


@dataclass(slots=True)
class EnvironmentCheck:
    environment: str
    cluster_version: str  # as configured, for messages and deprecations
    schemas: VersionSchemas
    builtins: BuiltinCatalog
    custom: CustomKinds
    compiler: CustomCompiler
    ignore_groups: tuple[str, ...]
    old_resources: Mapping[str, Resource] | None
    # Helm installs into its release namespace, so objects without one are not homeless there.
    default_namespace: str | None = None
    locations: SchemaLocations | None = None
    findings: list[Finding] = field(default_factory=list)
    _seen: dict[tuple[str, str, str, str], Resource] = field(default_factory=dict)
    _plans: dict[tuple[str, str], KindPlan] = field(default_factory=dict)

    def report(
        self,
        resource: Resource,
        problem: Problem,
        severity: Severity = Severity.ERROR,
        rule_id: str = SCHEMA_INVALID,
    ) -> None:
        pointer, message = problem
        self.findings.append(
            Finding(
                rule_id=rule_id,
                category=Category.SCHEMA,
                severity=severity,
                message=message,
                environment=self.environment,
                resource=resource.ref,
                path=pointer or None,
            )
        )

    def check(self, resource: Resource) -> None:
        ref = resource.ref
        if not ref.api_version or not ref.kind:
            missing = "apiVersion" if not ref.api_version else "kind"
            self.report(resource, ("", f"missing required field {missing!r}"))
            return
        plan = self._plans.get((ref.api_version, ref.kind)) or self._plan(ref.api_version, ref.kind)
        body = prepared_body(resource.body)
        if plan.deprecation:
            severity, rule_id = (
                (Severity.ERROR, SCHEMA_INVALID)
                if plan.removed
                else (Severity.WARNING, SCHEMA_DEPRECATED_API)
            )
            self.report(resource, ("/apiVersion", plan.deprecation), severity, rule_id)
        if plan.validator is not None:
            self._validate(resource, plan.validator, body)
        elif plan.custom is not None:
            self._check_custom(resource, plan.custom, body)
        elif plan.located is not None and plan.located.validator is not None:
            self._validate(resource, plan.located.validator, body)
        elif plan.located is not None and plan.located.error:
            self.report(resource, ("", f"not validated: {plan.located.error}"), Severity.WARNING)
        elif not plan.removed:
            self._report_unknown(resource, plan)
        for problem in check_metadata(plan.group, ref.kind, body):
            self.report(resource, problem)
        for problem in check_pod_controller(plan.group, ref.kind, body):
            self.report(resource, problem)
        self._check_identity(resource, plan)

    def _plan(self, api_version: str, kind: str) -> KindPlan:
        """Everything about (apiVersion, kind) that does not depend on the object, worked out
        once per environment: thousands of objects share a handful of kinds."""
        group, version = split_api_version(api_version)
        entry = deprecations.lookup(api_version, kind, self.cluster_version)
        removed = entry is not None and deprecations.is_removed(entry, self.cluster_version)
        validator = None
        custom = None
        if not removed:
            validator = self.builtins.validator(self.schemas.version, (group, version, kind))
            custom = None if validator else self.custom.served.get((group, version, kind))
        located = None
        if validator is None and custom is None and not removed and self._may_look_up(group, kind):
            assert self.locations is not None  # _may_look_up says so
            located = self.locations.lookup(api_version, kind, self.cluster_version)
        plan = KindPlan(
            group=group,
            validator=validator,
            custom=custom,
            deprecation=(
                deprecations.describe(api_version, kind, entry, self.cluster_version)
                if entry
                else None
            ),
            removed=removed,
            namespaced=self._namespaced(group, kind),
            located=located,
        )
        self._plans[(api_version, kind)] = plan
        return plan

    def _validate(
        self, resource: Resource, validator: jsonschema_rs.Validator, body: Mapping[str, Any]
    ) -> None:
        try:
            if validator.is_valid(body):
                return
        except ValueError:  # a YAML date or a non-dict mapping: jsonschema-rs wants plain JSON
            body = plain_json(body)
            if validator.is_valid(body):
                return
        for count, error in enumerate(validator.iter_errors(body)):
            if count == MAX_SCHEMA_ERRORS_PER_OBJECT:
                self.report(resource, ("", "more schema errors not shown"))
                break
            for problem in describe(error, resource.ref.kind):
                self.report(resource, problem)

    def _check_custom(self, resource: Resource, known: KnownKind, body: Mapping[str, Any]) -> None:
        compiled = self.compiler.compiled(known.kind, self.schemas)
        if compiled.validator is None:
            self.report(resource, ("", f"not validated: {compiled.error}"), Severity.WARNING)
        else:
            self._validate(resource, compiled.validator, body)
        old = self.old_resources.get(resource.ref.key) if self.old_resources else None
        if old is None:
            problems = evaluate(compiled.rules, body)
        else:
            problems = evaluate(compiled.rules, body, prepared_body(old.body))
        for problem in problems:
            self.report(resource, problem)

    def _may_look_up(self, group: str, kind: str) -> bool:
        """Locations are asked only about kinds that are neither a Kubernetes group's nor a
        CRD's (a wrong version of those is a mistake, not a missing schema), nor ignored."""
        return (
            self.locations is not None
            and self.locations.configured
            and group not in self.schemas.groups
            and (group, kind) not in self.custom.versions
            and not any(fnmatchcase(group, pattern) for pattern in self.ignore_groups)
        )

    def _report_unknown(self, resource: Resource, plan: KindPlan) -> None:
        ref = resource.ref
        group = plan.group
        served = self.custom.versions.get((group, ref.kind))
        if served:
            versions = ", ".join(served)
            message = (
                f"{ref.api_version} {ref.kind} is not served by its CustomResourceDefinition "
                f"(served versions: {versions})"
            )
            self.report(resource, ("/apiVersion", message))
        elif group in self.schemas.groups:
            message = (
                f"{ref.api_version} {ref.kind} is not served by Kubernetes {self.cluster_version}"
            )
            self.report(resource, ("/apiVersion", message))
        elif not any(fnmatchcase(group, pattern) for pattern in self.ignore_groups):
            tried = plan.located.tried if plan.located else ()
            looked = f"; not found at: {'; '.join(tried)}" if tried else "; no schema.locations"
            message = (
                f"no schema for {ref.api_version} {ref.kind}: not a Kubernetes "
                f"{self.cluster_version} kind, no CustomResourceDefinition in the rendered "
                f"environments, the repository or schema.crdPaths defines it{looked}"
            )
            self.report(resource, ("/kind", message), Severity.WARNING, SCHEMA_UNKNOWN_KIND)

    def _namespaced(self, group: str, kind: str) -> bool | None:
        """True/False when the scope is known, None for kinds nobody defined."""
        custom = self.custom.namespaced.get((group, kind))
        if custom is not None:
            return custom
        if is_cluster_scoped_builtin(group, kind):
            return False
        return True if group in self.schemas.groups else None

    def _check_identity(self, resource: Resource, plan: KindPlan) -> None:
        ref = resource.ref
        namespaced = plan.namespaced
        if namespaced and not ref.namespace and not self.default_namespace:
            message = (
                f"{ref.kind} is namespaced but has no metadata.namespace after rendering; "
                "it would land in whatever namespace the applying client defaults to"
            )
            self.report(resource, ("/metadata", message), Severity.WARNING)
        if not ref.name:
            return
        namespace = (ref.namespace or "") if namespaced is not False else ""
        key = (plan.group, ref.kind, namespace, ref.name)
        first = self._seen.setdefault(key, resource)
        if first is not resource:
            where = f" (first from {first.origin.file}:{first.origin.line})" if first.origin else ""
            named = f"{namespace}/{ref.name}" if namespace else ref.name
            message = f"duplicate object: {ref.kind} {named} is defined more than once{where}"
            self.report(resource, ("/metadata/name", message))
