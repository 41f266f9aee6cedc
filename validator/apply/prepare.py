"""Turn resolved bodies into apply payloads, and remember which values must never be shown.

Resolved bodies hold plaintext secrets. They live only in memory: in the objects returned
here and in the PATCH requests. `Redactor` knows every resolved value so that any text the
run produces (server error messages included) can be scrubbed before it is reported.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.apply.kube import ApplyError
from validator.apply.options import RECREATE_ANNOTATION
from validator.model import Resource, ResourceRef

PART_OF_LABEL = "applyset.kubernetes.io/part-of"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SERVER_FIELDS = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation")
MASK = "***"
MIN_REDACTED_LENGTH = 4  # shorter strings would blank out ordinary words


class UnresolvedSecretError(ApplyError):
    """The resolver handed back an object that still holds ciphertext or SOPS metadata."""


@dataclass(frozen=True, slots=True)
class Desired:
    ref: ResourceRef
    body: dict[str, Any]
    sensitive: bool  # a Secret, or an object into which secret values were resolved

    @property
    def recreate_on_immutable(self) -> bool:
        annotations = self.body.get("metadata", {}).get("annotations") or {}
        return str(annotations.get(RECREATE_ANNOTATION, "")).lower() == "true"


class Redactor:
    """Replaces every known secret value (and its base64 form) in text by `***`."""

    def __init__(self, values: Iterable[str]) -> None:
        found = {value for value in values if len(value) >= MIN_REDACTED_LENGTH}
        found |= {base64.b64encode(value.encode()).decode() for value in list(found)}
        self._values = sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        return text

    def reveals(self, text: str) -> bool:
        return any(value in text for value in self._values)


def prepare(
    resources: Sequence[Resource], resolved: Sequence[Mapping[str, Any]], applyset_id: str
) -> tuple[list[Desired], Redactor]:
    if len(resolved) != len(resources):
        raise ApplyError(
            f"the secret resolver returned {len(resolved)} objects for {len(resources)}"
        )
    secrets: set[str] = set()
    desired = []
    for resource, body in zip(resources, resolved, strict=True):
        if ResourceRef.of(body) != resource.ref:
            raise ApplyError(f"the secret resolver changed the identity of {resource.ref.key}")
        _refuse_unresolved(resource.ref, body)
        values = set(_resolved_values(resource.body, body))
        if resource.ref.kind == "Secret":
            values |= set(_secret_values(body))
        secrets |= values
        sensitive = bool(values) or resource.ref.kind == "Secret"
        desired.append(Desired(resource.ref, normalize(body, applyset_id), sensitive))
    return desired, Redactor(secrets)


def normalize(body: Mapping[str, Any], applyset_id: str) -> dict[str, Any]:
    """The SSA payload: no server-owned metadata or status, stringData folded, ApplySet label."""
    payload = copy.deepcopy(dict(body))
    payload.pop("status", None)
    metadata = payload.setdefault("metadata", {})
    for name in SERVER_FIELDS:
        metadata.pop(name, None)
    annotations = metadata.get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)  # never write one: it would copy Secret values
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    labels = metadata.setdefault("labels", {})
    if labels.get(PART_OF_LABEL, applyset_id) != applyset_id:
        raise ApplyError(f"{ResourceRef.of(body).key} already belongs to another ApplySet")
    labels[PART_OF_LABEL] = applyset_id
    if payload.get("kind") == "Secret":
        _fold_string_data(payload)
    return payload


def _fold_string_data(secret: dict[str, Any]) -> None:
    """`stringData` is write-only: applying it causes perpetual drift (kubernetes#108008)."""
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {}) or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


def _refuse_unresolved(ref: ResourceRef, body: Mapping[str, Any]) -> None:
    if "sops" in body or any(value.startswith("ENC[") for _, value in _string_leaves(body)):
        raise UnresolvedSecretError(f"{ref.key} still holds encrypted values; refusing to apply")


def _resolved_values(original: Any, resolved: Any) -> Iterator[str]:
    """Strings the resolver put in: they differ from what the bundle holds at that place."""
    before = dict(_string_leaves(original))
    for path, value in _string_leaves(resolved):
        if before.get(path) != value:
            yield value


def _secret_values(secret: Mapping[str, Any]) -> Iterator[str]:
    for key in ("data", "stringData"):
        entries = secret.get(key) or {}
        for value in entries.values() if isinstance(entries, Mapping) else ():
            yield str(value)
            if key == "data":
                yield from _decoded(str(value))


def _decoded(value: str) -> Iterator[str]:
    try:
        yield base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return


def _string_leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _string_leaves(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _string_leaves(child, (*path, str(index)))
    elif isinstance(value, str):
        yield path, value
