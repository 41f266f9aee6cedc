"""The frozen types every stage exchanges.

Stages import this module and their own helpers, never each other; `pipeline.py` wires them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The errors library code raises and the resolved configuration are part of the contract every
# stage reads; they live in their own modules and are re-exported here, so that stages keep
# importing everything from `validator.model`.
from validator.errors import (
    AccessError,
    BlockingFindingsError,
    ConfigError,
    DeliveryError,
    NothingToValidateError,
    ToolMissingError,
    UsageError,
    ValidatorError,
    VerificationError,
)
from validator.settings import (
    ApplySettings,
    ArgoSpec,
    EnvironmentSpec,
    FluxSpec,
    HelmSpec,
    PolicySettings,
    SchemaSettings,
    SecretsSettings,
    Settings,
    VaultSettings,
)

__all__ = [
    "AccessError",
    "ApplySettings",
    "ArgoSpec",
    "BlockingFindingsError",
    "Category",
    "ConfigError",
    "DeliveryError",
    "EnvironmentSpec",
    "Finding",
    "FluxSpec",
    "HelmSpec",
    "NothingToValidateError",
    "PolicySettings",
    "RenderedEnvironment",
    "Resource",
    "ResourceRef",
    "SchemaSettings",
    "SecretsSettings",
    "Settings",
    "Severity",
    "SourceLocation",
    "ToolMissingError",
    "UsageError",
    "ValidatorError",
    "VaultSettings",
    "VerificationError",
    "canonical_json",
]


_POSITIONS = re.compile(r"\b(lines?|column|col)\s+\d+(-\d+)?")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Category(StrEnum):
    RENDER = "render"
    CONFIG = "config"
    YAML = "yaml"
    SCHEMA = "schema"
    SECRETS = "secrets"
    POLICY = "policy"
    EXCEPTION = "exception"
    DRIFT = "drift"


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place a person edits: `file` is repository-relative; line and column are 1-based."""

    file: str
    line: int = 1
    column: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True, slots=True)
class ResourceRef:
    api_version: str
    kind: str
    namespace: str | None
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace or '-'}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> ResourceRef:
        metadata = body.get("metadata") or {}
        namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        return cls(
            api_version=str(body.get("apiVersion") or ""),
            kind=str(body.get("kind") or ""),
            namespace=str(namespace) if namespace else None,
            name=str(name or ""),
        )


@dataclass(frozen=True, slots=True)
class Resource:
    """One rendered object of one environment.

    `body` is the object as it will be applied (render bookkeeping annotations removed);
    treat it as read-only. `origin` is the start of the source document that produced it.
    """

    ref: ResourceRef
    body: Mapping[str, Any]
    environment: str
    origin: SourceLocation | None = None
    # The Flux Kustomization / HelmRelease / Argo Application that produced it, as
    # "Kind/namespace/name"; None for plain Kustomize and Helm environments.
    unit: str | None = None


_JSON_KEYS = frozenset(
    {"ruleId", "category", "severity", "message", "environment", "resource", "path"}
    | {"location", "unit", "fingerprint"}
)
_CATEGORIES = {category.value: category for category in Category}  # faster than Category(x)
_SEVERITIES = {severity.value: severity for severity in Severity}


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    category: Category
    severity: Severity
    message: str
    environment: str | None = None
    resource: ResourceRef | None = None
    path: str | None = None  # JSON pointer into the rendered object
    location: SourceLocation | None = None
    unit: str | None = None  # "Kind/namespace/name" of the GitOps unit (see Resource.unit)
    # Policy findings: the family that produced it (vap, kyverno, gatekeeper, conftest); with
    # the ruleId (`<policy>` or `<policy>/<rule>`) it names family, policy and rule.
    family: str | None = None

    # Worked out on first use: a report of 20,000 findings asks for each one two or three times.
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)
    # A replayed finding's JSON as this tool wrote it (see from_sealed_json).
    _json: Mapping[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: built from what the finding is about, not where it sits."""
        if self._fingerprint is None:
            object.__setattr__(self, "_fingerprint", self._digest())
        assert self._fingerprint is not None
        return self._fingerprint

    def _digest(self) -> str:
        anchor = (
            self.resource.key if self.resource else (self.location.file if self.location else "")
        )
        message = self.message
        if "line" in message or "col" in message:  # "at line 12, column 3" moves with edits
            message = _POSITIONS.sub(r"\1", message)
        parts = [self.rule_id, self.environment or "", anchor, self.path or "", message]
        return "sha256:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        resource, location = data.get("resource"), data.get("location")
        return cls(
            rule_id=data["ruleId"],
            category=_CATEGORIES.get(data["category"]) or Category(data["category"]),
            severity=_SEVERITIES.get(data["severity"]) or Severity(data["severity"]),
            message=data["message"],
            environment=data.get("environment"),
            resource=ResourceRef(
                resource["apiVersion"], resource["kind"], resource["namespace"], resource["name"]
            )
            if resource
            else None,
            path=data.get("path"),
            location=SourceLocation(location["file"], location["line"], location["column"])
            if location
            else None,
            unit=data.get("unit"),
            family=data.get("family"),
        )

    @classmethod
    def from_sealed_json(cls, data: Mapping[str, Any]) -> Finding:
        """`from_json` of an entry this tool sealed itself (validator.cachefile): its
        fingerprint and JSON are taken as written rather than worked out again."""
        finding = cls.from_json(data)
        if isinstance(data.get("fingerprint"), str):
            object.__setattr__(finding, "_fingerprint", data["fingerprint"])
            if data.keys() == _JSON_KEYS or data.keys() == _JSON_KEYS | {"family"}:
                object.__setattr__(finding, "_json", data)
        return finding

    def to_json(self) -> dict[str, Any]:
        if self._json is not None:
            return dict(self._json)
        family = {"family": self.family} if self.family else {}  # only on policy findings
        return {
            "ruleId": self.rule_id,
            "category": self.category.value,
            "severity": self.severity.value,
            "message": self.message,
            "environment": self.environment,
            "resource": self.resource.to_json() if self.resource else None,
            "path": self.path,
            "location": self.location.to_json() if self.location else None,
            "unit": self.unit,
            "fingerprint": self.fingerprint,
            **family,
        }


@dataclass(frozen=True, slots=True)
class RenderedEnvironment:
    name: str
    kubernetes_version: str
    resources: tuple[Resource, ...]
    findings: tuple[Finding, ...] = ()
    # Repository-relative files the render read: the cache key and the file → environment map.
    input_files: frozenset[str] = frozenset()
    from_cache: bool = False

    @property
    def failed(self) -> bool:
        # A unit that failed to render (one Flux Kustomization of a cluster) leaves the rest
        # of the environment worth checking; only a failure of the whole environment stops it.
        return any(f.rule_id == "render-failed" and f.unit is None for f in self.findings)


def canonical_json(value: Any) -> str:
    """Deterministic JSON used for digests and cache keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
