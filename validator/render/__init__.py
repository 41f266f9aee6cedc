"""Kustomize and Helm renderers, the render cache and the source map."""

from validator.render.environment import (
    RenderPlan,
    plan_render,
    render_environment,
    store_render,
)
from validator.render.sourcemap import SourceMap
from validator.render.sources import check_source_files
from validator.render.tools import find_kustomize, helm_sdk_version

__all__ = [
    "RenderPlan",
    "SourceMap",
    "check_source_files",
    "find_kustomize",
    "helm_sdk_version",
    "plan_render",
    "render_environment",
    "store_render",
]
