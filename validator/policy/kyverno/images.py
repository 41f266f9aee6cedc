"""Image references as Kyverno reads them: registry (docker.io by default), path, name, tag
(`latest` when there is neither tag nor digest), digest, reference, referenceWithTag."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DEFAULT_REGISTRY = "docker.io"
_REFERENCE = re.compile(
    r"^(?P<name>[a-zA-Z0-9][a-zA-Z0-9._/:-]*?)(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


class ImageError(ValueError):
    pass


def _with_registry(image: str) -> str:
    first, slash, _ = image.partition("/")
    if not slash or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        return f"{DEFAULT_REGISTRY}/{image}"
    return image


def image_info(image: str) -> dict[str, str]:
    full = _with_registry(image)
    match = _REFERENCE.match(full)
    if match is None or not match.group("name"):
        raise ImageError(f"bad image: {image}")
    registry, _, path = match.group("name").partition("/")
    tag, digest = match.group("tag") or "", match.group("digest") or ""
    if not tag and not digest:
        tag = "latest"
    name = path.rsplit("/", 1)[-1]
    base = f"{registry}/{path}"
    return {
        "registry": registry,
        "name": name,
        "path": path,
        "tag": tag,
        "digest": digest,
        "reference": f"{base}@{digest}" if digest else f"{base}:{tag}",
        "referenceWithTag": f"{base}:{tag}",
    }


def normalize_image(image: str) -> str:
    info = image_info(image)
    return info["reference"] if info["digest"] else info["referenceWithTag"]


def _pod_spec(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    kind, spec = body.get("kind"), body.get("spec")
    if not isinstance(spec, Mapping):
        return None
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        inner = spec.get("spec") if isinstance(spec, Mapping) else None
        return inner if isinstance(inner, Mapping) else None
    template = spec.get("template")
    inner = template.get("spec") if isinstance(template, Mapping) else None
    return inner if isinstance(inner, Mapping) else None


def images_of(body: Mapping[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """`images` for the JSON context: {containers: {name: info}, initContainers: ...}."""
    spec = _pod_spec(body)
    found: dict[str, dict[str, dict[str, str]]] = {}
    if spec is None:
        return found
    for field in _CONTAINER_LISTS:
        for container in spec.get(field) or []:
            if not isinstance(container, Mapping) or not isinstance(container.get("image"), str):
                continue
            try:
                info = image_info(container["image"])
            except ImageError:
                continue
            found.setdefault(field, {})[str(container.get("name", ""))] = info
    return found
