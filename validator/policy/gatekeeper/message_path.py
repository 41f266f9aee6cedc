"""The field a Rego violation message is about, so a finding can point at its source line.

Rego gives no location, only text. When the message names a field path that exists in the
object (`spec.template.spec.hostNetwork`, `/spec/replicas`), that is the field; when it names
a container the way the Gatekeeper library does (`container <nginx> ...`), it is that
container. Otherwise there is no path and the finding points at the object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_DOTTED = re.compile(r"(?<![\w./-])((?:spec|metadata|data|status)(?:\.[A-Za-z_][\w-]*|\[\d+\])+)")
_POINTER = re.compile(r"(?<![\w])(/(?:spec|metadata|data)(?:/[\w.-]+)+)")
_CONTAINER = re.compile(r"<([a-z0-9]([-a-z0-9.]*[a-z0-9])?)>")
_POD_SPECS = (
    ("spec",),
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
)
_CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")


def message_path(message: str, body: Mapping[str, Any]) -> str | None:
    for match in _POINTER.finditer(message):
        parts = match.group(1).strip("/").split("/")
        if _exists(body, parts):
            return "/" + "/".join(parts)
    for match in _DOTTED.finditer(message):
        parts = [p for p in re.split(r"\.|\[(\d+)\]", match.group(1)) if p]
        if _exists(body, parts):
            return "/" + "/".join(parts)
    for match in _CONTAINER.finditer(message):
        found = _container(body, match.group(1))
        if found:
            return found
    return None


def _exists(body: Any, parts: list[str]) -> bool:
    node = body
    for part in parts:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _container(body: Mapping[str, Any], name: str) -> str | None:
    for path in _POD_SPECS:
        spec: Any = body
        for key in path:
            spec = spec.get(key) if isinstance(spec, Mapping) else None
        if not isinstance(spec, Mapping):
            continue
        for field in _CONTAINER_FIELDS:
            for index, container in enumerate(spec.get(field) or []):
                if isinstance(container, Mapping) and container.get("name") == name:
                    return "/" + "/".join([*path, field, str(index)])
    return None
