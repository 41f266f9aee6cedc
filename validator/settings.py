"""The resolved configuration every stage reads (re-exported by `validator.model`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class HelmSpec:
    chart: str  # repository-relative chart directory
    values: tuple[str, ...] = ()
    release: str = "release"
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class FluxSpec:
    """A Flux cluster: its root Kustomization, expanded recursively as the controller does."""

    entry: str  # repository-relative file holding the root Flux Kustomization
    name: str  # the root Kustomization's metadata.name
    namespace: str  # and its metadata.namespace


@dataclass(frozen=True, slots=True)
class ArgoSpec:
    """An Argo CD destination cluster: every Application of this repository targeting it."""

    cluster: str  # destination.name, else destination.server ("in-cluster" for the local one)


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    name: str
    kubernetes_version: str
    path: str | None = None  # repository-relative kustomization directory
    helm: HelmSpec | None = None
    policy_profile: str | None = None
    flux: FluxSpec | None = None
    discovered: str | None = None  # why discovery found it; None when the config declares it
    namespace: str | None = None  # where objects without metadata.namespace are applied
    argo: ArgoSpec | None = None


@dataclass(frozen=True, slots=True)
class PolicySettings:
    builtin: str = "baseline"
    paths: tuple[str, ...] = ()
    exceptions: str | None = None
    conftest_namespaces: tuple[str, ...] = ("main",)  # Rego packages read, glob patterns
    conftest_combine: bool = False  # one input holding every object of an environment
    gatekeeper_excluded_namespaces: tuple[str, ...] = ()  # like a Gatekeeper Config
    gatekeeper_prefer_rego: bool = False  # run a template's Rego even when it has CEL


@dataclass(frozen=True, slots=True)
class SchemaSettings:
    crd_paths: tuple[str, ...] = ()
    ignore_groups: tuple[str, ...] = ()  # API groups whose unknown kinds are not reported
    # Schema sources for kinds no built-in schema or CRD serves, in kubeconform's template
    # syntax ({{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json): files or URLs.
    locations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VaultSettings:
    address: str
    kv_mount: str = "secret"
    kv_version: int = 2
    auth: Mapping[str, Any] = field(default_factory=dict)


# Reference schemes allowed when `secrets.allowedReferenceSchemes` is not configured: every
# secret store; `file`, `exec` and `env` read the machine that renders, so they are opt-in.
DEFAULT_REFERENCE_SCHEMES = (
    "vault",
    "sops",
    "awssecrets",
    "awsssm",
    "gcpsecrets",
    "azurekeyvault",
    "onepassword",
    "externalsecrets",
    "ksops",
)


@dataclass(frozen=True, slots=True)
class SecretsSettings:
    sops_config: str | None = None
    allowed_reference_schemes: tuple[str, ...] = DEFAULT_REFERENCE_SCHEMES
    allowed_key_providers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    vault: VaultSettings | None = None
    baseline: str | None = None  # repository-relative file of accepted secret findings
    # Salt of the value hashes in findings; from the environment only, never from the file.
    hash_salt: str | None = None
    exclude: tuple[str, ...] = ()  # gitignore-style patterns of files the scans never read


@dataclass(frozen=True, slots=True)
class ApplySettings:
    # Field rules: [{kind?, name?, namespace?, paths: [JSON pointer, ...]}], globs allowed.
    ignore: tuple[Mapping[str, Any], ...] = ()  # drift never reported or corrected there
    sensitive: tuple[Mapping[str, Any], ...] = ()  # values masked in drift output
    max_deletions: int | None = 10
    prune_kinds: tuple[str, ...] = ()  # protected kinds (Namespace, CRD, PV) that may be pruned
    require_signature: bool = False  # apply/drift refuse a bundle without --verify-key


@dataclass(frozen=True, slots=True)
class Settings:
    repo_root: Path
    config_file: Path | None
    kubernetes_version: str
    environments: tuple[EnvironmentSpec, ...]
    policies: PolicySettings = PolicySettings()
    schema: SchemaSettings = SchemaSettings()
    secrets: SecretsSettings = SecretsSettings()
    apply: ApplySettings = ApplySettings()
    cache_dir: Path = Path(".cache")
    use_cache: bool = False  # resolve_settings turns it on; a bare Settings never writes a cache
    jobs: int = 2
    fail_on: str = "error"  # error | warning | never
    offline: bool = False  # network sources come from the on-disk cache only

    def environment(self, name: str) -> EnvironmentSpec | None:
        return next((env for env in self.environments if env.name == name), None)
