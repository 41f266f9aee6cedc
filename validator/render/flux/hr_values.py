"""A HelmRelease's values and release name, as helm-controller computes them."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.postbuild import sops_placeholder
from validator.render.stream import StreamError, load_documents

MAX_RELEASE_NAME = 53


class ValuesError(Exception):
    """A valuesFrom entry that helm-controller would fail on (message names it, no values)."""


@dataclass
class Values:
    merged: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # entries whose content is unknown offline


def release_name(release: Mapping[str, Any]) -> str:
    spec, meta = api.spec(release), api.metadata(release)
    if spec.get("releaseName"):
        return str(spec["releaseName"])
    name = str(meta.get("name") or "")
    if spec.get("targetNamespace"):
        name = f"{spec['targetNamespace']}-{name}"
    if len(name) > MAX_RELEASE_NAME:
        name = f"{name[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return name


def release_namespace(release: Mapping[str, Any]) -> str:
    spec = api.spec(release)
    return str(spec.get("targetNamespace") or api.metadata(release).get("namespace") or "default")


def compute_values(release: Mapping[str, Any], available: Sequence[Document]) -> Values:
    """valuesFrom in order (maps merged, lists replaced), then spec.values, then every
    targetPath entry, which wins even over spec.values."""
    spec = api.spec(release)
    namespace = str(api.metadata(release).get("namespace") or "default")
    result = Values()
    targeted: list[dict[str, Any]] = []
    for reference in spec.get("valuesFrom") or []:
        if not isinstance(reference, Mapping):
            continue
        kind, name = str(reference.get("kind") or ""), str(reference.get("name") or "")
        key = str(reference.get("valuesKey") or "values.yaml")
        source = _find(available, kind, namespace, name)
        if source is None:
            if reference.get("optional"):
                continue
            raise ValuesError(f"valuesFrom {kind} {namespace}/{name} is not in this repository")
        found, text, encrypted = _entry(source.body, key)
        if not found:
            if reference.get("optional"):
                continue
            raise ValuesError(f"valuesFrom {kind} {namespace}/{name} has no key {key!r}")
        target = reference.get("targetPath")
        if target:
            value = sops_placeholder(key) if encrypted else text
            targeted.append(_set(str(target), value))
        elif encrypted:
            result.notes.append(
                f"valuesFrom {kind} {namespace}/{name} key {key!r} is "
                "SOPS-encrypted: its values are unknown without decrypting"
            )
        else:
            merge(result.merged, _parse(text, f"{kind} {namespace}/{name} key {key!r}"))
    values = spec.get("values")
    if isinstance(values, Mapping):
        merge(result.merged, copy.deepcopy(dict(values)))
    for entry in targeted:
        merge(result.merged, entry)
    return result


def merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    """Helm's merge: maps deep-merged, everything else (lists too) replaced."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def _find(available: Sequence[Document], kind: str, namespace: str, name: str) -> Document | None:
    for document in reversed(available):
        body, meta = document.body, api.metadata(document.body)
        if (
            body.get("kind") == kind
            and meta.get("name") == name
            and str(meta.get("namespace") or namespace) == namespace
        ):
            return document
    return None


def _entry(body: Mapping[str, Any], key: str) -> tuple[bool, str, bool]:
    """(found, text, SOPS-encrypted) of a ConfigMap's or Secret's key."""
    encrypted = isinstance(body.get("sops"), Mapping)
    for field_name in ("data", "stringData"):
        entries = body.get(field_name)
        if isinstance(entries, Mapping) and key in entries:
            text = str(entries[key])
            if body.get("kind") == "Secret" and field_name == "data" and not encrypted:
                text = _decoded(text)
            return True, text, encrypted
    return False, "", encrypted


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return value


def _parse(text: str, what: str) -> dict[str, Any]:
    try:
        documents = load_documents(text)
    except StreamError:
        raise ValuesError(f"valuesFrom {what} is not valid YAML") from None
    document = documents[0] if documents else {}
    if not isinstance(document, dict):
        raise ValuesError(f"valuesFrom {what} is not a mapping")
    return document


def _set(path: str, value: str) -> dict[str, Any]:
    import helm_python  # loads Helm's Go library: only when a targetPath needs it

    try:
        return helm_python.parse_set_literal(f"{path}={value}")
    except helm_python.HelmError:
        raise ValuesError(f"targetPath {path!r} is not a valid --set path") from None
