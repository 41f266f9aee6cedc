"""Flux: a cluster's Kustomizations and HelmReleases expanded as the controllers would."""

from __future__ import annotations

from pathlib import Path

from validator.model import EnvironmentSpec, Finding, FluxSpec, Settings
from validator.render.document import Document
from validator.render.flux.expand import FluxEntryError, expand_cluster
from validator.render.flux.hr_chart import chart_resolutions, fetch_remote
from validator.render.flux.tree import static_tree
from validator.render.inputs import KustomizeInputs

__all__ = ["FluxEntryError", "flux_inputs", "render_flux"]


def flux_inputs(
    repo: Path, flux: FluxSpec, cache_dir: Path, offline: bool
) -> tuple[KustomizeInputs, list[str]]:
    """What the cluster's render reads, as far as its source files tell, and the remote
    charts as the chart cache resolves them now (both go into the render cache key; a chart
    not resolved yet makes the render uncacheable until it is fetched)."""
    tree = static_tree(repo, flux)
    charts = chart_resolutions(tree.remote_charts, cache_dir, offline)
    complete = tree.complete and charts is not None
    return KustomizeInputs(files=tree.files, uses_helm=True, complete=complete), charts or []


def render_flux(
    spec: EnvironmentSpec, settings: Settings
) -> tuple[list[Document], list[Finding], set[Path]]:
    """Documents, findings, and the files the render read (all of them: the cache is only
    trusted when they are a subset of what `flux_inputs` keyed it by)."""
    assert spec.flux is not None
    offline = bool(getattr(settings, "offline", False))
    fetch = fetch_remote(settings.cache_dir, offline)  # the chart cache adds its charts/
    expansion = expand_cluster(
        settings.repo_root.resolve(), spec.flux, spec.kubernetes_version, fetch
    )
    return expansion.documents, expansion.findings, expansion.reads.files
