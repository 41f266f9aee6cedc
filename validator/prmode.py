"""PR mode (`--changed-since`): which environments a change affects, the base revision judged
by the head's rules, and the rendered diff (Secret values masked) for the comment.

Helpers of the composition root (`pipeline.py` runs the stages); nothing here runs a stage.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from validator import gitrev
from validator.model import Finding, RenderedEnvironment, Resource, ResourceRef, Settings
from validator.render import RenderPlan
from validator.report import manifest_stream, masked

# Findings that mean a rendered object carries a secret value in the clear.
SECRET_VALUE_RULES = frozenset({"secret-plaintext", "secret-leak"})


def at_base(settings: Settings, base_root: Path) -> Settings:
    """The base revision's tree judged by the head's rules: policies, exceptions, CRDs and the
    secrets baseline stay the head's files, so a finding means the same on both sides."""

    def head(path: str) -> str:
        return str(settings.repo_root / path)

    policies, schema, secrets = settings.policies, settings.schema, settings.secrets
    return dataclasses.replace(
        settings,
        repo_root=base_root,
        policies=dataclasses.replace(
            policies,
            paths=tuple(head(p) for p in policies.paths),
            exceptions=head(policies.exceptions) if policies.exceptions else None,
        ),
        schema=dataclasses.replace(
            schema,
            crd_paths=tuple(head(p) for p in schema.crd_paths),
            locations=tuple(
                p if p == "default" or "://" in p else head(p) for p in schema.locations
            ),
        ),
        secrets=dataclasses.replace(
            secrets, baseline=head(secrets.baseline) if secrets.baseline else None
        ),
    )


def changed_files(
    settings: Settings, changed_since: str | None, files: Sequence[str]
) -> set[str] | None:
    """The files a PR (`--changed-since`) or a commit (`--files`) changed; None: everything."""
    if changed_since:
        return gitrev.changed_files(settings.repo_root, changed_since)
    if files:
        return {_repo_relative(settings.repo_root, f) for f in files} - {""}
    return None


def _repo_relative(repo: Path, file: str) -> str:
    path = Path(file).resolve()
    return path.relative_to(repo).as_posix() if path.is_relative_to(repo) else ""


def affected(plan: RenderPlan, changed: set[str]) -> bool:
    return bool(plan.input_files & changed) or not plan.input_files


def rules_changed(settings: Settings, changed: set[str]) -> bool:
    """A change to what judges every environment (the config, policies, exceptions, CRDs,
    SOPS rules, the secrets baseline) makes every environment and every file worth checking."""
    repo = settings.repo_root
    config = settings.config_file
    rules = [
        *settings.policies.paths,
        *settings.schema.crd_paths,
        *(p for p in (settings.policies.exceptions, settings.secrets.baseline) if p),
        *(p for p in (settings.secrets.sops_config,) if p),
    ]
    if config and config.is_relative_to(repo):
        rules.append(config.relative_to(repo).as_posix())
    prefixes = tuple(rule.rstrip("/") for rule in rules)
    return any(
        file.endswith(".sops.yaml") or any(file == p or file.startswith(p + "/") for p in prefixes)
        for file in changed
    )


def rendered_diffs(
    base_envs: Mapping[str, RenderedEnvironment],
    rendered: Sequence[RenderedEnvironment],
    findings: Iterable[Finding],
) -> dict[str, str]:
    """Unified diff of each environment's rendered manifests: every Secret value and every
    value the secrets stage flagged (at the base or the head) masked."""
    flagged = _secret_paths(findings)
    diffs = {}
    for env in rendered:
        base = base_envs.get(env.name)
        before = _stream(base.resources if base else (), flagged).splitlines(keepends=True)
        after = _stream(env.resources, flagged).splitlines(keepends=True)
        diff = "".join(difflib.unified_diff(before, after, f"base/{env.name}", f"head/{env.name}"))
        if diff:
            diffs[env.name] = diff
    return diffs


def _secret_paths(findings: Iterable[Finding]) -> dict[tuple[str | None, ResourceRef], list[str]]:
    """JSON pointers of values the secrets stage recognised, per (environment, object)."""
    paths: dict[tuple[str | None, ResourceRef], list[str]] = {}
    for finding in findings:
        if finding.rule_id in SECRET_VALUE_RULES and finding.resource and finding.path:
            paths.setdefault((finding.environment, finding.resource), []).append(finding.path)
    return paths


def _stream(
    resources: Iterable[Resource], flagged: Mapping[tuple[str | None, ResourceRef], list[str]]
) -> str:
    ordered = sorted(resources, key=lambda r: r.ref.key)
    return manifest_stream(masked(r.body, flagged.get((r.environment, r.ref), ())) for r in ordered)
