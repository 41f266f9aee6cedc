"""Config-less discovery, Argo CD step: one environment per destination cluster of this
repository's Applications (see validator.render.argo_apps for which Applications count)."""

from __future__ import annotations

import re

from validator.discover import Candidate, DiscoveryContext
from validator.model import ArgoSpec, EnvironmentSpec
from validator.render.argo_apps import ArgoApplication, application_sources, discover_argo


def discover(context: DiscoveryContext) -> list[Candidate]:
    """The Argo CD step of config-less discovery: one environment per destination cluster."""
    found = discover_argo(context.repo_root)
    context.notes.extend(found.notes)
    candidates = []
    for cluster, apps in found.clusters().items():
        files = sorted({app.file for app in apps})
        shown = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
        reason = (
            f"Argo CD: {len(apps)} Application(s) of this repository target cluster "
            f"{cluster} ({shown})"
        )
        spec = EnvironmentSpec(
            name="", kubernetes_version=context.kubernetes_version, argo=ArgoSpec(cluster)
        )
        candidates.append(
            Candidate(
                spec=spec,
                path=re.sub(r"^\w+://", "", cluster),
                reason=reason,
                units=tuple(app.unit for app in apps),
                covers=tuple(sorted(_covered(apps))),
            )
        )
    return candidates


def _covered(apps: list[ArgoApplication]) -> set[str]:
    """The repository directories these Applications build: never offered again as overlays."""
    return {
        str(source["path"]).strip("/").removeprefix("./")
        for app in apps
        for source in application_sources(app.body)
        if source.get("path") and not source.get("chart")
    }
