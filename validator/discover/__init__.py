"""Environments and units found without a configuration file.

The steps run in order: Flux clusters, then Argo CD, then plain Kustomize leaf overlays.
Each step is a module exposing `discover(context: DiscoveryContext) -> list[Candidate]`;
a step whose module is not installed finds nothing. A later step never offers a directory
an earlier one covers (a Flux Kustomization's path is not also an overlay environment).
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from validator.discover.names import assign_names
from validator.discover.scan import RepoScan
from validator.model import EnvironmentSpec

# (step label, module): the order is the precedence of DESIGN §3.3.
STEPS: tuple[tuple[str, str], ...] = (
    ("flux", "validator.discover.flux"),
    ("argo", "validator.discover.argo"),
    ("kustomize", "validator.discover.overlays"),
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An environment a step found; its name is assigned once every step has run."""

    spec: EnvironmentSpec  # `name` is ignored; `discovered` is set from `reason`
    path: str  # repository-relative directory the name is derived from
    reason: str  # why it is an environment, for `envs` and `doctor`
    units: tuple[str, ...] = ()  # "Kind/namespace/name" of its GitOps units
    covers: tuple[str, ...] = ()  # repository-relative directories it builds


@dataclass
class DiscoveryContext:
    repo_root: Path
    scan: RepoScan
    kubernetes_version: str
    covered: set[str] = field(default_factory=set)  # directories earlier steps build
    notes: list[str] = field(default_factory=list)  # what was looked at and not taken, and why

    def is_covered(self, relative_dir: str) -> bool:
        return any(
            c == "" or relative_dir == c or relative_dir.startswith(c + "/") for c in self.covered
        )


@dataclass(frozen=True, slots=True)
class Discovered:
    spec: EnvironmentSpec
    step: str  # flux | argo | kustomize
    reason: str
    units: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Discovery:
    environments: tuple[Discovered, ...]
    notes: tuple[str, ...] = ()

    @property
    def specs(self) -> tuple[EnvironmentSpec, ...]:
        return tuple(found.spec for found in self.environments)


def discover_environments(repo_root: Path, kubernetes_version: str = "1.33") -> Discovery:
    context = DiscoveryContext(repo_root.resolve(), RepoScan(repo_root), kubernetes_version)
    found: list[tuple[str, Candidate]] = []
    for step, module_name in STEPS:
        for candidate in _run_step(module_name, context):
            found.append((step, candidate))
            context.covered.update(candidate.covers)
    names = assign_names([candidate.path for _, candidate in found], repo_root.resolve().name)
    environments = tuple(
        Discovered(
            spec=dataclasses.replace(candidate.spec, name=name, discovered=candidate.reason),
            step=step,
            reason=candidate.reason,
            units=candidate.units,
        )
        for name, (step, candidate) in zip(names, found, strict=True)
    )
    return Discovery(environments, tuple(context.notes))


def _run_step(module_name: str, context: DiscoveryContext) -> list[Candidate]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise  # the step exists but something it needs is missing: a real error
        return []
    candidates: list[Candidate] = module.discover(context)
    return candidates
