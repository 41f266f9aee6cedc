"""Paths into a Kubernetes object: JSON pointers for machines, dotted paths for people."""

from __future__ import annotations

import re
from collections.abc import Iterable

PathPart = str | int

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def json_pointer(parts: Iterable[PathPart]) -> str:
    """RFC 6901 pointer: `~` and `/` inside keys are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def dotted(parts: Iterable[PathPart]) -> str:
    """`spec.template.spec.containers[0]`, `metadata.labels["app.kubernetes.io/name"]`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text


def prefixed(parts: Iterable[PathPart], message: str) -> str:
    """`spec.replicas: message`, or just the message at the object's root."""
    where = dotted(parts)
    return f"{where}: {message}" if where else message
