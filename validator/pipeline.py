"""The composition root: runs the stages in order and returns data; never prints."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator import gitrev, prmode
from validator.checkcache import FindingsCache, Replay
from validator.findings import one_finding_per_defect
from validator.model import (
    EnvironmentSpec,
    Finding,
    RenderedEnvironment,
    Resource,
    ResourceRef,
    Settings,
)
from validator.outcome import RuleDoc, ValidationReport
from validator.render import (
    RenderPlan,
    SourceMap,
    check_source_files,
    find_kustomize,
    keep_source_map,
    plan_render,
    render_environment,
    source_map_for,
    store_render,
)
from validator.report import masked
from validator.selection import select_environments
from validator.stages import (
    PolicyStage,
    ReferencesStage,
    SchemaStage,
    SecretsStage,
    Stage,
    rule_docs,
)

log = logging.getLogger("gitops_validator.pipeline")

Progress = Callable[[str], None]  # told each step ("rendering 3 environments", "prod: policy")

SECRET_VALUE_RULES = prmode.SECRET_VALUE_RULES

# The stages after render, in pipeline order; each is built once per run from the settings.
STAGES: tuple[Callable[[Settings], Stage], ...] = (SecretsStage, SchemaStage, PolicyStage)


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    environments: tuple[str, ...] = ()
    changed_since: str | None = None  # PR mode: the base revision
    files: tuple[str, ...] = ()  # pre-commit: only environments that read these files
    new_only: bool = False  # only findings absent at the base revision block
    check_refs: bool = False  # ask Vault whether referenced secrets exist (metadata only)
    progress: Progress = field(default=lambda step: None, compare=False)  # "prod: policy", ...


def _render_plans(
    settings: Settings, plans: Sequence[RenderPlan], progress: Progress = lambda step: None
) -> tuple[list[RenderedEnvironment], list[Finding]]:
    """Check the source files, then render in parallel: (environments, source-file findings).

    A missing kustomize aborts before any work (exit 4, not a finding); files refused by the
    source check are never handed to kustomize or Helm.
    """
    if any(plan.spec.path or plan.spec.flux for plan in plans):
        find_kustomize()
    progress("checking source files")
    inputs = {f for p in plans for f in p.input_files}
    sources = check_source_files(
        settings.repo_root, inputs, settings.cache_dir if settings.use_cache else None
    )
    progress(f"rendering {len(plans)} environment{'s' * (len(plans) != 1)}")
    with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
        rendered = list(
            pool.map(
                lambda p: render_environment(p, settings, sources.refused, sources.sensitive),
                plans,
            )
        )
    return rendered, sources.findings


def validate(settings: Settings, request: ValidateRequest = ValidateRequest()) -> ValidationReport:
    specs = select_environments(settings, request.environments)
    plans = [plan_render(spec, settings) for spec in specs]
    changed = prmode.changed_files(settings, request.changed_since, request.files)
    if changed is not None and prmode.rules_changed(settings, changed):
        log.info("the rules changed: every environment and file is checked")
        changed = None
    if changed is not None:
        plans = [plan for plan in plans if prmode.affected(plan, changed)]
        log.info("changed files affect %d environment(s)", len(plans))
    base_envs: dict[str, RenderedEnvironment] = {}
    base_findings: list[Finding] = []
    if request.changed_since and plans:
        request.progress(f"validating the base revision {request.changed_since}")
        base_envs, base_findings = _validate_base(settings, request.changed_since, plans, changed)
    extra = (ReferencesStage,) if request.check_refs else ()
    rendered, findings, checked = _validate_plans(
        settings, plans, base_envs, changed, extra, request.progress
    )
    if request.environments:
        findings = _without_other_environments_files(settings, plans, findings)
    return ValidationReport(
        environments=tuple(rendered),
        findings=tuple(findings),
        fail_on=settings.fail_on,
        base_fingerprints=frozenset(f.fingerprint for f in base_findings),
        new_only=request.new_only,
        diffs=prmode.rendered_diffs(base_envs, rendered, [*findings, *base_findings])
        if request.changed_since
        else {},
        checks=checked.checks,
        timings=checked.timings,
        rule_docs=checked.rule_docs,
        checkout_prefix=checkout_prefix(settings.repo_root),
    )


def checkout_prefix(repo_root: Path) -> str:
    """The repository root's path inside its git checkout, with a trailing slash ("" at the
    top): the config of a monorepo may sit in a sub-directory."""
    for directory in (repo_root, *repo_root.parents):
        if (directory / ".git").exists():
            relative = repo_root.relative_to(directory).as_posix()
            return "" if relative == "." else relative + "/"
    return ""


@dataclass(slots=True)
class _Checked:
    """What running the stages over the environments produced, besides the findings."""

    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    rule_docs: dict[str, RuleDoc] = field(default_factory=dict)


def _validate_plans(
    settings: Settings,
    plans: Sequence[RenderPlan],
    base_envs: Mapping[str, RenderedEnvironment],
    changed: set[str] | None,
    extra_stages: Sequence[Callable[[Settings], Stage]] = (),
    progress: Progress = lambda step: None,
) -> tuple[list[RenderedEnvironment], list[Finding], _Checked]:
    rendered, findings = _render_plans(settings, plans, progress)
    stages = [make_stage(settings) for make_stage in (*STAGES, *extra_stages)]
    checked = _Checked(rule_docs=rule_docs(stages))
    files = sorted(changed) if changed is not None else None
    for stage in stages:
        findings.extend(stage.check_repository(files))
        if isinstance(stage, SchemaStage):
            stage.share(rendered)
    # A base revision's objects or a Vault lookup make findings depend on more than the files.
    replays = FindingsCache(settings, stages) if not base_envs and not extra_stages else None
    for plan, env in zip(plans, rendered, strict=True):
        checked.checks[env.name] = tuple(c for stage in stages for c in stage.checks(env.name))
        key = plan.cache_key if env.from_cache else None  # this render is the key's
        replay = replays.get(env.name, key) if replays and key else None
        if replay is not None:
            log.info("%s: findings cache hit, nothing changed since they were found", env.name)
            for stage in stages:
                stage.replay(env.name, replay.memos.get(_stage_name(stage)))
            findings.extend(replay.findings)
            continue
        base = base_envs.get(env.name)
        old = {r.ref.key: r for r in base.resources} if base else {}
        timings = checked.timings.setdefault(env.name, {})
        env_findings = _check_environment(env, stages, old, timings, progress)
        source_map = source_map_for(plan, settings, env.resources)
        locate = _locator(env, source_map)
        located = [locate(finding) for finding in env_findings]
        findings.extend(located)
        if not _holds_secret_values(env_findings):
            store_render(plan, env, settings)
            keep_source_map(plan, source_map, settings)
            if replays and plan.cache_key:
                memos = {_stage_name(stage): stage.memo(env.name) for stage in stages}
                replays.put(env.name, plan.cache_key, Replay(tuple(located), memos))
    for stage in stages:
        findings.extend(stage.finish())
    return rendered, one_finding_per_defect(findings), checked


def _check_environment(
    env: RenderedEnvironment,
    stages: Sequence[Stage],
    old: Mapping[str, Resource],
    timings: dict[str, float],
    progress: Progress,
) -> list[Finding]:
    """The environment's render findings and every stage's findings about its objects."""
    env_findings = list(env.findings)
    if env.failed:
        return env_findings
    for stage in stages:
        name = _stage_name(stage)
        progress(f"{env.name}: {name}")
        started = time.perf_counter()
        env_findings.extend(stage.check_environment(env, old))
        timings[name] = time.perf_counter() - started
    return env_findings


def _stage_name(stage: Stage) -> str:
    return type(stage).__name__.removesuffix("Stage").lower()


def render_for_display(
    settings: Settings, specs: Sequence[EnvironmentSpec]
) -> tuple[list[tuple[str, list[dict[str, Any]]]], list[Finding]]:
    """Rendered bodies per environment for people to read: Secret values and every value the
    secrets stage recognises as a credential are masked. Returns ((name, bodies)..., findings)."""
    plans = [plan_render(spec, settings) for spec in specs]
    rendered, findings = _render_plans(settings, plans)
    secrets_stage = SecretsStage(settings)
    shown = []
    for plan, env in zip(plans, rendered, strict=True):
        findings.extend(env.findings)
        leaks = secrets_stage.check_environment(env, {})
        if not _holds_secret_values(leaks):
            store_render(plan, env, settings)
        by_ref: dict[ResourceRef, list[str]] = {}
        for leak in leaks:
            if leak.resource and leak.path:
                by_ref.setdefault(leak.resource, []).append(leak.path)
        shown.append((env.name, [masked(r.body, by_ref.get(r.ref, ())) for r in env.resources]))
    return shown, findings


def _without_other_environments_files(
    settings: Settings, plans: Sequence[RenderPlan], findings: list[Finding]
) -> list[Finding]:
    """With `--env`, a repository finding about a file that only other environments read is
    theirs (a staging-only file does not block `bundle --env prod`, and a CI matrix job per
    environment does not report it once per job); files no environment reads stay."""
    chosen = {plan.spec.name for plan in plans}
    others = [spec for spec in settings.environments if spec.name not in chosen]
    mine = {file for plan in plans for file in plan.input_files}
    elsewhere = {f for spec in others for f in plan_render(spec, settings).input_files} - mine
    kept = [
        f
        for f in findings
        if f.environment is not None or f.location is None or f.location.file not in elsewhere
    ]
    if len(kept) < len(findings):
        log.info(
            "%d finding(s) about files only other environments read are theirs: not shown",
            len(findings) - len(kept),
        )
    return kept


def _holds_secret_values(findings: Iterable[Finding]) -> bool:
    return any(finding.rule_id in SECRET_VALUE_RULES for finding in findings)


def _validate_base(
    settings: Settings, revision: str, plans: Sequence[RenderPlan], changed: set[str] | None
) -> tuple[dict[str, RenderedEnvironment], list[Finding]]:
    """Render and check the same environments at the base revision, in a throwaway worktree."""
    with gitrev.checkout_of(settings.repo_root, revision) as base_root:
        base_settings = prmode.at_base(settings, base_root)
        base_plans = [plan_render(plan.spec, base_settings) for plan in plans]
        rendered, findings, _ = _validate_plans(base_settings, base_plans, {}, changed)
    log.info("rendered %d environment(s) at %s", len(rendered), revision)
    return {env.name: env for env in rendered if not env.failed}, findings


def _locator(env: RenderedEnvironment, source_map: SourceMap) -> Callable[[Finding], Finding]:
    """Fill in the source location of findings on rendered objects (stages leave it empty)."""
    by_ref = {resource.ref: resource for resource in env.resources}

    def locate(finding: Finding) -> Finding:
        resource = by_ref.get(finding.resource) if finding.resource else None
        if resource is None:
            return finding
        unit = finding.unit or resource.unit
        if finding.location is not None:
            return dataclasses.replace(finding, unit=unit)
        location = source_map.locate(resource, finding.path)
        return dataclasses.replace(finding, location=location, unit=unit)

    return locate
