"""CustomResourceDefinitions → JSON Schemas for their custom resources.

A CRD's structural `openAPIV3Schema` (OpenAPI 3.0 dialect with `x-kubernetes-*` extensions)
becomes a JSON Schema 2020-12 that rejects what the API server rejects with
`fieldValidation=Strict`: unknown fields are errors unless `x-kubernetes-preserve-unknown-fields`
is set; `apiVersion`, `kind` and `metadata` are implicit at the root and in embedded resources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validator.model import canonical_json

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COPIED_KEYWORDS = (
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
    "required",
)


@dataclass(frozen=True, slots=True)
class CustomKind:
    """One served version of a custom resource kind."""

    group: str
    version: str
    kind: str
    namespaced: bool
    openapi: Mapping[str, Any]  # the structural schema as written in the CRD
    digest: str  # identifies the schema for the compiled-validator cache
    crd_name: str
    version_index: int  # position in the CRD's spec.versions, for finding paths


def _nullable(node: Mapping[str, Any], types: list[str]) -> list[str]:
    return [*types, "null"] if node.get("nullable") else types


def _type_of(node: Mapping[str, Any]) -> list[str] | None:
    if node.get("x-kubernetes-int-or-string"):
        return _nullable(node, ["integer", "string"])
    declared = node.get("type")
    return _nullable(node, [declared]) if isinstance(declared, str) else None


def _bounds(node: Mapping[str, Any], out: dict[str, Any]) -> None:
    """OpenAPI 3.0 `exclusiveMinimum: true` becomes JSON Schema's numeric form."""
    for flag, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True and limit in out:
            out[flag] = out.pop(limit)


def convert(node: Any, *, strict: bool = True) -> dict[str, Any]:
    """One structural schema node. `strict=False` inside allOf/anyOf/oneOf/not, whose branches
    only add value validations and must not reject the fields declared beside them."""
    if not isinstance(node, Mapping):
        return {}
    out: dict[str, Any] = {k: node[k] for k in _COPIED_KEYWORDS if k in node}
    types = _type_of(node)
    if types:
        out["type"] = types
    if "enum" in out and node.get("nullable"):
        out["enum"] = [*out["enum"], None]
    _bounds(node, out)
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        out["properties"] = {name: convert(child) for name, child in properties.items()}
    if isinstance(node.get("items"), Mapping):
        out["items"] = convert(node["items"])
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping):
        out["additionalProperties"] = convert(additional)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    for keyword in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(keyword), list):
            out[keyword] = [convert(branch, strict=False) for branch in node[keyword]]
    if isinstance(node.get("not"), Mapping):
        out["not"] = convert(node["not"], strict=False)
    if node.get("x-kubernetes-embedded-resource"):
        _add_implicit_object_fields(out)
    preserves_unknown = bool(node.get("x-kubernetes-preserve-unknown-fields"))
    if strict and node.get("type") == "object" and not preserves_unknown:
        out.setdefault("additionalProperties", False)
    return out


def _add_implicit_object_fields(
    out: dict[str, Any], metadata: dict[str, Any] | None = None
) -> None:
    properties = out.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    declared = properties.get("metadata")
    base = metadata or {"type": "object"}
    properties["metadata"] = {"allOf": [base, declared]} if declared else base


def resource_schema(kind: CustomKind, object_meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON Schema of a whole custom resource; `object_meta` is the built-in ObjectMeta
    definition closure (so metadata is as strict as for built-ins), or None."""
    root = convert(kind.openapi)
    root.setdefault("type", ["object"])
    meta_ref = {"$ref": f"#/$defs/{OBJECT_META}"} if object_meta else None
    # The root's declared `metadata` may only restrict name/generateName: validate it as well.
    root.get("properties", {}).pop("metadata", None)
    properties = kind.openapi.get("properties")
    declared = properties.get("metadata") if isinstance(properties, Mapping) else None
    _add_implicit_object_fields(root, meta_ref)
    if isinstance(declared, Mapping):
        declared = convert(declared, strict=False)
        root["properties"]["metadata"] = {"allOf": [root["properties"]["metadata"], declared]}
    schema: dict[str, Any] = {"$schema": _SCHEMA_DIALECT, **root}
    if object_meta:
        schema["$defs"] = dict(object_meta)
    return schema


# Every environment collects every other environment's CRDs: each CRD body is read once.
_KINDS: dict[int, tuple[Mapping[str, Any], tuple[CustomKind, ...]]] = {}


def custom_kinds(body: Mapping[str, Any]) -> tuple[CustomKind, ...]:
    """The served versions of an `apiextensions.k8s.io/v1` CRD; malformed CRDs yield nothing
    here (the built-in CRD schema reports what is wrong with them)."""
    known = _KINDS.get(id(body))
    if known is not None and known[0] is body:
        return known[1]
    found = tuple(_custom_kinds(body))
    if len(_KINDS) > 4096:  # `--watch` renders anew each time: keep only recent bodies
        _KINDS.clear()
    _KINDS[id(body)] = (body, found)
    return found


def _custom_kinds(body: Mapping[str, Any]) -> list[CustomKind]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return []
    names = spec.get("names")
    group = spec.get("group")
    versions = spec.get("versions")
    if not isinstance(names, Mapping) or not isinstance(group, str):
        return []
    if not isinstance(versions, list):
        return []
    kind = names.get("kind")
    if not isinstance(kind, str):
        return []
    metadata = body.get("metadata")
    crd_name = str(metadata.get("name", "")) if isinstance(metadata, Mapping) else ""
    found = []
    for index, version in enumerate(versions):
        if not isinstance(version, Mapping) or not version.get("served", True):
            continue
        schema = version.get("schema")
        openapi = schema.get("openAPIV3Schema") if isinstance(schema, Mapping) else None
        if not isinstance(openapi, Mapping):
            openapi = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        digest = hashlib.sha256(canonical_json(openapi).encode()).hexdigest()
        found.append(
            CustomKind(
                group=group,
                version=str(version.get("name", "")),
                kind=kind,
                namespaced=spec.get("scope", "Namespaced") != "Cluster",
                openapi=openapi,
                digest=digest,
                crd_name=crd_name,
                version_index=index,
            )
        )
    return found
