"""The schema stage's entry point and the process-wide cache it keeps between environments."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from validator.model import (
    Category,
    Finding,
    RenderedEnvironment,
    Resource,
    Settings,
    Severity,
    SourceLocation,
)
from validator.schema.catalog import BuiltinCatalog, VersionSchemas, resolve_version
from validator.schema.crd_files import (
    CrdDocument,
    CrdFileProblem,
    read_crd_paths,
    read_repository_crds,
)
from validator.schema.custom import CustomCompiler, CustomKinds, KnownKind, collect, is_crd
from validator.schema.environment import SCHEMA_INVALID, EnvironmentCheck
from validator.schema.located import SchemaLocations
from validator.schema.paths import json_pointer


class SchemaValidator:
    """Validates environments; keeps compiled schemas for the life of the process.

    Thread-safe: the pipeline may call `validate` for several environments from a thread pool
    with one shared instance (compilation is guarded by locks, compiled validators are reused).
    """

    def __init__(self) -> None:
        self.builtins = BuiltinCatalog()
        self.compiler = CustomCompiler()
        self._crd_files_lock = threading.Lock()
        self._crd_files: dict[
            tuple[Path, tuple[str, ...]], tuple[list[CrdDocument], list[CrdFileProblem]]
        ] = {}
        self._repository_crds: dict[Path, list[CrdDocument]] = {}
        self._locations: dict[tuple[object, ...], SchemaLocations] = {}
        self._shared: list[Resource] = []

    def share(self, environments: Iterable[RenderedEnvironment]) -> None:
        """Make the CRDs rendered in any of `environments` known to all of them."""
        crds = [r for env in environments for r in env.resources if is_crd(r)]
        with self._crd_files_lock:
            self._shared = crds

    def _repository(self, repo_root: Path) -> list[CrdDocument]:
        with self._crd_files_lock:
            if repo_root not in self._repository_crds:
                self._repository_crds[repo_root] = read_repository_crds(repo_root)
            return self._repository_crds[repo_root]

    def _schema_locations(self, settings: Settings) -> SchemaLocations:
        cache_dir = settings.cache_dir if settings.use_cache else None
        key = (settings.schema.locations, settings.repo_root, cache_dir, settings.offline)
        with self._crd_files_lock:
            if key not in self._locations:
                self._locations[key] = SchemaLocations(*key)
            return self._locations[key]

    def _read_crd_paths(self, settings: Settings) -> tuple[list[CrdDocument], list[CrdFileProblem]]:
        key = (settings.repo_root, settings.schema.crd_paths)
        with self._crd_files_lock:
            if key not in self._crd_files:
                self._crd_files[key] = read_crd_paths(*key)
            return self._crd_files[key]

    def validate(
        self,
        env: RenderedEnvironment,
        settings: Settings,
        old_resources: Mapping[str, Resource] | None = None,
    ) -> list[Finding]:
        """Findings for every rendered object of `env`; `old_resources` (keyed by
        `ResourceRef.key`, the same objects rendered at the base revision) enables CRD
        transition rules."""
        schemas = self.builtins.schemas(resolve_version(env.kubernetes_version))
        documents, file_problems = self._read_crd_paths(settings)
        custom = collect(
            env.resources, documents, self._shared, self._repository(settings.repo_root)
        )
        check = EnvironmentCheck(
            environment=env.name,
            cluster_version=env.kubernetes_version,
            schemas=schemas,
            builtins=self.builtins,
            custom=custom,
            compiler=self.compiler,
            ignore_groups=settings.schema.ignore_groups,
            old_resources=old_resources,
            default_namespace=_release_namespace(settings, env.name),
            locations=self._schema_locations(settings),
        )
        for resource in env.resources:
            check.check(resource)
        findings = [_file_finding(env.name, problem) for problem in file_problems]
        findings.extend(self._crd_problems(env.name, custom, schemas))
        findings.extend(check.findings)
        return findings

    def _crd_problems(
        self, environment: str, custom: CustomKinds, schemas: VersionSchemas
    ) -> list[Finding]:
        """CRD rules that do not compile, reported once against the CRD that holds them."""
        findings = []
        for known in custom.served.values():
            if not known.own:
                continue
            compiled = self.compiler.compiled(known.kind, schemas)
            base: list[str | int] = ["spec", "versions", known.kind.version_index]
            base += ["schema", "openAPIV3Schema"]
            problems = [
                (pointer, f"{message}; not evaluated")
                for pointer, message in compiled.rules.compile_problems
            ]
            if compiled.error:
                problems.append(("", compiled.error))
            for pointer, message in problems:
                findings.append(
                    _crd_finding(environment, known, json_pointer(base) + pointer, message)
                )
        return findings


def _release_namespace(settings: Settings, environment: str) -> str | None:
    """The namespace the environment's objects land in when they name none: the configured
    `environments.<name>.namespace`, else the Helm release namespace."""
    spec = settings.environment(environment)
    if spec is None:
        return None
    return spec.namespace or (spec.helm.namespace if spec.helm else None)


def _crd_finding(environment: str, known: KnownKind, pointer: str, message: str) -> Finding:
    text = f"CustomResourceDefinition {known.kind.crd_name}: {message}"
    return Finding(
        rule_id=SCHEMA_INVALID,
        category=Category.SCHEMA,
        severity=Severity.WARNING,
        message=text,
        environment=environment,
        resource=known.crd,
        path=pointer if known.crd else None,
        location=known.crd_file,
    )


def _file_finding(environment: str, problem: CrdFileProblem) -> Finding:
    return Finding(
        rule_id=SCHEMA_INVALID,
        category=Category.SCHEMA,
        severity=Severity.ERROR,
        message=problem.message,
        environment=environment,
        location=SourceLocation(file=problem.file),
    )


_default_validator = SchemaValidator()


def validate_environment(
    env: RenderedEnvironment,
    settings: Settings,
    old_resources: Mapping[str, Resource] | None = None,
    *,
    validator: SchemaValidator | None = None,
) -> list[Finding]:
    """Schema-stage findings for one environment, using a process-wide `SchemaValidator`
    unless one is given."""
    return (validator or _default_validator).validate(env, settings, old_resources)
