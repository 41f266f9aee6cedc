"""`envs`: the environments, for people and CI matrices. Kept apart from the other commands
so that it starts without importing the pipeline (see bench/ for the start-up time)."""

from __future__ import annotations

import argparse
import json

from validator.cli.exitcodes import ExitCode
from validator.model import EnvironmentSpec, Settings
from validator.selection import select_environments


def envs(settings: Settings, args: argparse.Namespace) -> ExitCode:
    specs = select_environments(settings, [])
    units = _discovered_units(settings)
    rows = [
        {
            "name": spec.name,
            "path": spec.path,
            "helmChart": spec.helm.chart if spec.helm else None,
            "kubernetesVersion": spec.kubernetes_version,
            "policyProfile": spec.policy_profile or settings.policies.builtin,
            "flux": {"entry": spec.flux.entry, "kustomization": spec.flux.name}
            if spec.flux
            else None,
            "argo": {"cluster": spec.argo.cluster} if spec.argo else None,
            "discovered": spec.discovered,
            "units": list(units.get(spec.name, ())),
        }
        for spec in specs
    ]
    if args.json:
        print(json.dumps(rows))
        return ExitCode.OK
    width = max(len(row["name"] or "") for row in rows)
    for spec, row in zip(specs, rows, strict=True):
        print(f"{row['name']:<{width}}  {_source(spec)}  (Kubernetes {row['kubernetesVersion']})")
        if spec.discovered:
            print(f"{'':<{width}}  found: {spec.discovered}")
        if row["units"]:
            print(f"{'':<{width}}  units: {', '.join(row['units'])}")
    return ExitCode.OK


def _source(spec: EnvironmentSpec) -> str:
    if spec.flux:
        return f"Flux cluster from {spec.flux.entry}"
    if spec.argo:
        return f"Argo CD cluster {spec.argo.cluster}"
    return spec.path or f"helm chart {spec.helm.chart if spec.helm else '?'}"


def _discovered_units(settings: Settings) -> dict[str, tuple[str, ...]]:
    """The units discovery read from the source files (none when a config declares them)."""
    if settings.config_file is not None:
        return {}
    from validator.discover import discover_environments  # Flux and Helm: heavy to import

    found = discover_environments(settings.repo_root, settings.kubernetes_version)
    return {entry.spec.name: entry.units for entry in found.environments}
