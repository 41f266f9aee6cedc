"""Render Helm charts in-process with the Helm v4 SDK (no `helm` binary)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_yaml_text
from validator.masking import mask_tool_output
from validator.model import ValidatorError
from validator.render.stream import StreamError, load_documents

# The Helm SDK's native handles are not documented as thread-safe across charts; one lock keeps
# in-process rendering serial while kustomize subprocesses of other environments run in parallel.
_LOCK = threading.Lock()


class HelmRenderError(ValidatorError):
    pass


@dataclass(frozen=True, slots=True)
class RenderedTemplate:
    template: str  # path inside the chart, e.g. "templates/deployment.yaml"
    text: str


def merged_values(values_files: Sequence[Path]) -> dict[str, Any]:
    """Merge values files left to right, deep-merging maps as `helm -f a -f b` does."""
    merged: dict[str, Any] = {}
    for path in values_files:
        try:
            documents = load_documents(read_yaml_text(path, display=path.name))
        except GuardError as error:  # a FIFO, /dev/zero link, alias bomb, … is never parsed
            raise HelmRenderError(f"values file {error}") from None
        except StreamError as error:  # the message never quotes the file's content
            raise HelmRenderError(f"values file {path.name}: {error}") from None
        loaded = documents[0] if documents else {}
        if not isinstance(loaded, dict):
            raise HelmRenderError(f"values file {path.name} must hold a mapping")
        _deep_merge(merged, loaded)
    return merged


def _deep_merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def render_chart(
    chart_dir: Path,
    values: Mapping[str, Any],
    *,
    release: str,
    namespace: str | None,
    kubernetes_version: str,
) -> list[RenderedTemplate]:
    """Render like `helm template`: templates in chart order, notes and empty output dropped."""
    options = {
        "name": release,
        "namespace": namespace or "default",
        "is_install": True,
        # Chart.render() does not expose kube_version; the C ABI accepts it in the same options.
        "kube_version": f"v{kubernetes_version}.0",
    }
    # Imported here: loading Helm's Go library costs every run ~0.1 s, even one with no chart.
    import helm_python
    from helm_python import _native

    with _LOCK:
        try:
            chart = helm_python.Chart.load(chart_dir)
            try:
                raw = _native.call_string(
                    "helm_render", chart._raw(), json.dumps(dict(values)), json.dumps(options)
                )
            finally:
                chart.close()
        except helm_python.HelmError as error:
            # Helm quotes values in some errors (a values-schema mismatch): never repeat them.
            raise HelmRenderError(f"helm: {_redacted(str(error), values)}") from None
    rendered: dict[str, str] = json.loads(raw)
    return [
        RenderedTemplate(template=_inside_chart(path), text=text)
        for path, text in sorted(rendered.items())
        if text.strip() and not path.endswith("NOTES.txt") and "/tests/" not in path
    ]


def _redacted(message: str, values: Any) -> str:
    return mask_tool_output(message, _strings(values))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif node is not None and not isinstance(node, bool):
        yield str(node)


def _inside_chart(rendered_path: str) -> str:
    """'demo/templates/x.yaml' → 'templates/x.yaml'; subcharts keep 'charts/sub/templates/…'."""
    return rendered_path.split("/", 1)[1] if "/" in rendered_path else rendered_path
