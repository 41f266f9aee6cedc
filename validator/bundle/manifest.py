"""The bundle's table of contents (`bundle.json`) and the digests that bind it to the objects."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validator.model import (
    BlockingFindingsError,
    ResourceRef,
    UsageError,
    VerificationError,
    canonical_json,
)

MANIFEST_FILE = "bundle.json"
OBJECTS_DIR = "objects"
SCHEMA_VERSION = 1
_UNSAFE = re.compile(r"[^a-z0-9.-]+")


class BundleError(UsageError):
    """Base of every bundle failure."""


class BundleRefusedError(BundleError, BlockingFindingsError):
    """The environment has blocking findings (or failed to render): no bundle is written."""


class BundleVerificationError(BundleError, VerificationError):
    """A bundle's digests or contents do not match its manifest: never apply it."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_bytes(body: Mapping[str, Any]) -> bytes:
    """Canonical JSON of one object: sorted keys, two-space indent, UTF-8, trailing newline."""
    return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def object_file_name(ref: ResourceRef) -> str:
    """`objects/<group>.<kind>.<namespace>.<name>.json`, lower-case, filesystem-safe, stable."""
    group = ref.api_version.rpartition("/")[0] or "core"
    parts = (group, ref.kind, ref.namespace or "_cluster", ref.name)
    return f"{OBJECTS_DIR}/" + ".".join(_UNSAFE.sub("_", part.lower()) for part in parts) + ".json"


@dataclass(frozen=True, slots=True)
class BundleObject:
    file: str
    ref: ResourceRef
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, **self.ref.to_json(), "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: Any) -> BundleObject:
        if not isinstance(data, Mapping):
            raise BundleVerificationError("bundle.json: an object entry is not a mapping")
        try:
            file, sha = str(data["file"]), str(data["sha256"])
            ref = ResourceRef(
                api_version=str(data["apiVersion"]),
                kind=str(data["kind"]),
                namespace=str(data["namespace"]) if data.get("namespace") else None,
                name=str(data["name"]),
            )
        except KeyError as missing:
            raise BundleVerificationError(f"bundle.json: object entry lacks {missing}") from None
        return cls(file=file, ref=ref, sha256=sha)


@dataclass(frozen=True, slots=True)
class BundleManifest:
    """Everything `bundle.json` says; `digest` covers all the other fields."""

    tool_version: str
    environment: str
    kubernetes_version: str
    git_revision: str | None
    config_digest: str
    objects: tuple[BundleObject, ...]
    findings: Mapping[str, Any]
    digest: str = ""

    def _content(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "tool": {"name": "gitops-validator", "version": self.tool_version},
            "environment": self.environment,
            "kubernetesVersion": self.kubernetes_version,
            "gitRevision": self.git_revision,
            "configDigest": self.config_digest,
            "findings": dict(self.findings),
            "objects": [entry.to_json() for entry in self.objects],
        }

    def computed_digest(self) -> str:
        return "sha256:" + sha256_hex(canonical_json(self._content()).encode())

    def to_json(self) -> dict[str, Any]:
        return {**self._content(), "digest": self.digest}

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), sort_keys=True, indent=2) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> BundleManifest:
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BundleVerificationError(f"bundle.json is not valid JSON: {error}") from None
        except RecursionError:
            raise BundleVerificationError("bundle.json is nested too deeply") from None
        if not isinstance(parsed, dict) or parsed.get("schemaVersion") != SCHEMA_VERSION:
            raise BundleVerificationError(
                f"bundle.json: not a schemaVersion {SCHEMA_VERSION} bundle manifest"
            )
        try:
            objects = parsed["objects"]
            if not isinstance(objects, list):
                raise BundleVerificationError("bundle.json: `objects` is not a list")
            return cls(
                tool_version=str(parsed["tool"]["version"]),
                environment=str(parsed["environment"]),
                kubernetes_version=str(parsed["kubernetesVersion"]),
                git_revision=parsed["gitRevision"],
                config_digest=str(parsed["configDigest"]),
                objects=tuple(BundleObject.from_json(entry) for entry in objects),
                findings=dict(parsed["findings"]),
                digest=str(parsed["digest"]),
            )
        except (KeyError, TypeError) as error:
            raise BundleVerificationError(f"bundle.json: missing or malformed {error}") from None
