"""Resolve CLI flags > GITOPS_VALIDATOR_* environment variables > config file > defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.config.discover import find_config, find_git_root
from validator.config.load import load_config_file
from validator.model import (
    ApplySettings,
    ConfigError,
    EnvironmentSpec,
    HelmSpec,
    PolicySettings,
    SchemaSettings,
    SecretsSettings,
    Settings,
    UsageError,
    VaultSettings,
)
from validator.settings import DEFAULT_REFERENCE_SCHEMES

DEFAULT_KUBERNETES_VERSION = "1.33"
ENV_PREFIX = "GITOPS_VALIDATOR_"
_VERSION = re.compile(r"^1\.[0-9]{1,2}$")
_PROFILES = ("none", "baseline", "restricted", "all")
_FAIL_ON = ("error", "warning", "never")


@dataclass(frozen=True, slots=True)
class Overrides:
    """Values from the command line; None means "not given"."""

    config_file: Path | None = None
    kubernetes_version: str | None = None
    policy_profile: str | None = None
    cache_dir: Path | None = None
    no_cache: bool | None = None
    jobs: int | None = None
    fail_on: str | None = None
    offline: bool | None = None


def resolve_settings(
    repo: Path | None, overrides: Overrides, environ: Mapping[str, str] = os.environ
) -> Settings:
    start = (repo or Path.cwd()).resolve()
    if not start.is_dir():
        raise UsageError(f"repository directory {start} does not exist")
    config_file = _config_file(start, overrides, environ)
    raw = load_config_file(config_file) if config_file else {}
    repo_root = start if repo else (config_file.parent if config_file else _root_of(start))
    layered = _Layers(overrides, environ)
    kubernetes_version = layered.pick(
        "kubernetes_version", "KUBERNETES_VERSION", raw.get("kubernetesVersion")
    )
    kubernetes_version = _checked(kubernetes_version or DEFAULT_KUBERNETES_VERSION, _VERSION)
    policies = raw.get("policies", {})
    builtin = layered.pick("policy_profile", "POLICY_PROFILE", policies.get("builtin"))
    _confine_paths(repo_root, raw)
    return Settings(
        repo_root=repo_root,
        config_file=config_file,
        kubernetes_version=kubernetes_version,
        environments=_environments(repo_root, raw.get("environments"), kubernetes_version),
        policies=PolicySettings(
            builtin=_choice(builtin or "baseline", _PROFILES, "policy profile"),
            paths=tuple(policies.get("paths", ())),
            exceptions=policies.get("exceptions"),
            **_rego_families(policies),
        ),
        schema=_schema(raw.get("schema", {})),
        apply=_apply(raw.get("apply", {})),
        secrets=_secrets(
            raw.get("secrets", {}),
            environ.get(ENV_PREFIX + "SECRETS_HASH_SALT"),
            environ.get("VAULT_ADDR", ""),
        ),
        cache_dir=Path(layered.pick("cache_dir", "CACHE_DIR", None) or _default_cache_dir()),
        use_cache=not _flag(layered.pick("no_cache", "NO_CACHE", None), "NO_CACHE"),
        jobs=_jobs(layered.pick("jobs", "JOBS", None)),
        fail_on=_choice(layered.pick("fail_on", "FAIL_ON", None) or "error", _FAIL_ON, "fail-on"),
        offline=_flag(layered.pick("offline", "OFFLINE", None), "OFFLINE"),
    )


class _Layers:
    def __init__(self, overrides: Overrides, environ: Mapping[str, str]) -> None:
        self._overrides = overrides
        self._environ = environ

    def pick(self, attribute: str, variable: str, file_value: Any) -> Any:
        cli_value = getattr(self._overrides, attribute)
        if cli_value is not None:
            return cli_value
        env_value = self._environ.get(ENV_PREFIX + variable)
        if env_value not in (None, ""):
            return env_value
        return file_value


def _config_file(start: Path, overrides: Overrides, environ: Mapping[str, str]) -> Path | None:
    explicit = overrides.config_file or environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        path = Path(explicit)
        path = path if path.is_absolute() else Path.cwd() / path
        if not path.is_file():
            raise ConfigError(f"configuration file {path} does not exist")
        return path.resolve()
    return find_config(start)


def _root_of(start: Path) -> Path:
    return find_git_root(start) or start


def _environments(
    repo_root: Path, configured: Mapping[str, Any] | None, default_version: str
) -> tuple[EnvironmentSpec, ...]:
    if configured is None:
        # Discovery reads Flux and Helm sources: imported only without a config (start-up time).
        from validator.discover import discover_environments

        return discover_environments(repo_root, default_version).specs
    return tuple(_environment(name, spec, default_version) for name, spec in configured.items())


def _environment(name: str, spec: Mapping[str, Any], default_version: str) -> EnvironmentSpec:
    helm = spec.get("helm")
    return EnvironmentSpec(
        name=name,
        kubernetes_version=spec.get("kubernetesVersion", default_version),
        path=spec.get("path"),
        helm=HelmSpec(
            chart=helm["chart"],
            values=tuple(helm.get("values", ())),
            release=helm.get("release", name),
            namespace=helm.get("namespace"),
        )
        if helm
        else None,
        policy_profile=spec.get("policyProfile"),
        namespace=spec.get("namespace"),
    )


def _rego_families(policies: Mapping[str, Any]) -> dict[str, Any]:
    conftest, gatekeeper = policies.get("conftest", {}), policies.get("gatekeeper", {})
    return {
        "conftest_namespaces": tuple(conftest.get("namespaces") or ("main",)),
        "conftest_combine": bool(conftest.get("combine", False)),
        "gatekeeper_excluded_namespaces": tuple(gatekeeper.get("excludedNamespaces") or ()),
        "gatekeeper_prefer_rego": gatekeeper.get("engine") == "rego",
    }


def _schema(raw: Mapping[str, Any]) -> SchemaSettings:
    return SchemaSettings(
        crd_paths=tuple(raw.get("crdPaths", ())),
        ignore_groups=tuple(raw.get("ignoreGroups", ())),
        locations=tuple(raw.get("locations", ())),
    )


def _apply(raw: Mapping[str, Any]) -> ApplySettings:
    return ApplySettings(
        ignore=tuple(raw.get("ignore", ())),
        sensitive=tuple(raw.get("sensitive", ())),
        max_deletions=raw.get("maxDeletions", 10),
        prune_kinds=tuple(raw.get("pruneKinds", ())),
        require_signature=bool(raw.get("requireSignature", False)),
    )


def _secrets(raw: Mapping[str, Any], hash_salt: str | None, vault_addr: str) -> SecretsSettings:
    """`secrets.vault.address` from the file, else `VAULT_ADDR` (the Vault CLI's variable)."""
    vault = dict(raw.get("vault") or {})
    if vault_addr and "address" not in vault:
        if not vault_addr.startswith(("http://", "https://")):
            raise ConfigError(f"VAULT_ADDR must be an http(s):// URL, got {vault_addr!r}")
        vault["address"] = vault_addr
    if vault and "address" not in vault:
        raise ConfigError("secrets.vault has no address: set secrets.vault.address or VAULT_ADDR")
    providers = raw.get("allowedKeyProviders", {})
    return SecretsSettings(
        sops_config=raw.get("sopsConfig"),
        allowed_reference_schemes=tuple(
            raw.get("allowedReferenceSchemes", DEFAULT_REFERENCE_SCHEMES)
        ),
        allowed_key_providers={kind: tuple(keys) for kind, keys in providers.items()},
        vault=VaultSettings(
            address=vault["address"],
            kv_mount=vault.get("kvMount", "secret"),
            kv_version=vault.get("kvVersion", 2),
            auth=dict(vault.get("auth", {})),
        )
        if vault
        else None,
        baseline=raw.get("baseline"),
        hash_salt=hash_salt or None,
        exclude=tuple(raw.get("exclude", ())),
    )


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-validator"


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(value: Any, variable: str) -> bool:
    """A yes/no setting; a value that is neither is a configuration error, never a guess."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text not in _TRUE + _FALSE:
        raise ConfigError(
            f"{ENV_PREFIX}{variable} must be one of {', '.join(_TRUE + _FALSE)}, not {value!r}"
        )
    return text in _TRUE


# Settings that name files the tool reads, by their place in the configuration file.
_CONFINED = (
    ("secrets", "sopsConfig"),
    ("secrets", "baseline"),
    ("policies", "exceptions"),
    ("policies", "paths"),
    ("schema", "crdPaths"),
    ("schema", "locations"),  # URLs resolve inside the root and pass; files must be ours
)


def _confine_paths(repo_root: Path, raw: Mapping[str, Any]) -> None:
    """Every file the configuration names lies inside the repository.

    The repository under validation is untrusted input: a pull request that points `sopsConfig`
    or `policies.exceptions` at /etc or at another checkout would make the gate read (and report
    on) files nobody reviewed. There is deliberately no override; copy the file into the
    repository instead.
    """
    root = repo_root.resolve()
    for section, key in _CONFINED:
        value = (raw.get(section) or {}).get(key)
        for entry in value if isinstance(value, list) else [value] if value else []:
            resolved = (root / str(entry)).resolve()
            if not resolved.is_relative_to(root):
                raise ConfigError(
                    f"{section}.{key}: {entry!r} is outside the repository {root}; the "
                    "repository under validation is untrusted, so the files it configures "
                    "must live inside it"
                )


def _jobs(value: Any) -> int:
    if value is None:
        return max(1, min(4, os.cpu_count() or 1))
    try:
        jobs = int(value)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}JOBS must be a positive integer, not {value!r}") from None
    if jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, not {jobs}")
    return jobs


def _checked(value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(str(value)):
        raise ConfigError(f"kubernetesVersion must look like '1.33', not {value!r}")
    return str(value)


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value
