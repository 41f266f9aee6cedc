"""Kustomize and Helm renderers, the render cache and the source map."""

from validator.render.environment import (
    RenderPlan,
    plan_render,
    render_environment,
    store_render,
)
from validator.render.sourcemap import SourceMap, keep_source_map, source_map_for
from validator.render.sources import check_source_files
from validator.render.tools import find_kustomize, helm_sdk_version

__all__ = [
    "RenderPlan",
    "SourceMap",
    "check_source_files",
    "find_kustomize",
    "helm_sdk_version",
    "keep_source_map",
    "plan_render",
    "render_environment",
    "source_map_for",
    "store_render",
]
