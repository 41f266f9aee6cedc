"""The composition root: runs the stages in order and returns data; never prints."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from validator import secrets
from validator.model import (
    EnvironmentSpec,
    Finding,
    NothingToValidateError,
    RenderedEnvironment,
    Settings,
    UsageError,
    ValidationReport,
)
from validator.render import (
    SourceMap,
    check_source_files,
    find_kustomize,
    plan_render,
    render_environment,
)

log = logging.getLogger("gitops_validator.pipeline")

# Each stage's checks, in pipeline order: once per repository, then per rendered environment.
RepositoryCheck = Callable[[Settings], list[Finding]]
EnvironmentCheck = Callable[[RenderedEnvironment, Settings], list[Finding]]
REPOSITORY_CHECKS: tuple[RepositoryCheck, ...] = (secrets.scan_repository,)
ENVIRONMENT_CHECKS: tuple[EnvironmentCheck, ...] = (secrets.scan_environment,)


def select_environments(settings: Settings, names: Sequence[str]) -> tuple[EnvironmentSpec, ...]:
    if not settings.environments:
        where = settings.config_file or f"{settings.repo_root}/overlays/*/kustomization.yaml"
        raise NothingToValidateError(f"no environments to validate (looked in {where})")
    known = {env.name for env in settings.environments}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"unknown environment '{unknown[0]}'; known: {', '.join(sorted(known))}")
    return tuple(env for env in settings.environments if not names or env.name in names)


def render_all(
    settings: Settings, specs: Sequence[EnvironmentSpec]
) -> tuple[list[RenderedEnvironment], list[Finding]]:
    """Check the source files, then render in parallel: (environments, source-file findings).

    A missing kustomize aborts before any work (exit 4, not a finding); files refused by the
    source check are never handed to kustomize or Helm.
    """
    if any(spec.path for spec in specs):
        find_kustomize()
    plans = [plan_render(spec, settings) for spec in specs]
    sources = check_source_files(settings.repo_root, {f for p in plans for f in p.input_files})
    with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
        rendered = list(pool.map(lambda p: render_environment(p, settings, sources.refused), plans))
    return rendered, sources.findings


def validate(settings: Settings, names: Sequence[str] = ()) -> ValidationReport:
    specs = select_environments(settings, names)
    rendered, findings = render_all(settings, specs)
    for repository_check in REPOSITORY_CHECKS:
        findings.extend(repository_check(settings))
    for spec, env in zip(specs, rendered, strict=True):
        locate = _locator(env, SourceMap(settings.repo_root, spec))
        env_findings = list(env.findings)
        if not env.failed:
            for check in ENVIRONMENT_CHECKS:
                env_findings.extend(check(env, settings))
        findings.extend(locate(finding) for finding in env_findings)
    return ValidationReport(tuple(rendered), tuple(findings), settings.fail_on)


def _locator(env: RenderedEnvironment, source_map: SourceMap) -> Callable[[Finding], Finding]:
    """Fill in the source location of findings on rendered objects (stages leave it empty)."""
    by_ref = {resource.ref: resource for resource in env.resources}

    def locate(finding: Finding) -> Finding:
        resource = by_ref.get(finding.resource) if finding.resource else None
        if finding.location is not None or resource is None:
            return finding
        return dataclasses.replace(finding, location=source_map.locate(resource, finding.path))

    return locate
