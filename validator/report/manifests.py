"""Rendered manifests for people to read: every Secret value masked."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml_rs

MASK = "**masked**"


def masked(body: Mapping[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = copy.deepcopy(dict(body))
    if copied.get("kind") == "Secret":
        for field in ("data", "stringData"):
            values = copied.get(field)
            if isinstance(values, dict):
                copied[field] = dict.fromkeys(values, MASK)
    return copied


def manifest_stream(bodies: Iterable[Mapping[str, Any]]) -> str:
    documents = (str(yaml_rs.dumps(masked(body))).strip("\n") for body in bodies)
    return "".join((d if d.startswith("---") else "---\n" + d) + "\n" for d in documents)
