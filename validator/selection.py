"""Which configured environments a command works on (light: `envs` imports only this)."""

from __future__ import annotations

from collections.abc import Sequence

from validator.model import EnvironmentSpec, NothingToValidateError, Settings, UsageError


def select_environments(settings: Settings, names: Sequence[str]) -> tuple[EnvironmentSpec, ...]:
    if not settings.environments:
        where = settings.config_file or (
            f"{settings.repo_root}: no Flux cluster, Argo CD Application or leaf kustomization"
        )
        raise NothingToValidateError(f"no environments to validate (looked in {where})")
    known = {env.name for env in settings.environments}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"unknown environment '{unknown[0]}'; known: {', '.join(sorted(known))}")
    return tuple(env for env in settings.environments if not names or env.name in names)
