"""Policy exceptions kept in a file: scoped, owned, reasoned and expiring — never silent."""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.model import Category, Finding, ResourceRef, Severity, SourceLocation
from validator.policy.errors import PolicyError
from validator.policy.loader import read_yaml_documents

_REQUIRED = ("policy", "resources", "reason", "owner", "expires")
_ENTRY_LINE = re.compile(r"^\s*-\s+policy\s*:")


@dataclass(frozen=True, slots=True)
class ResourcePattern:
    kind: str = "*"
    namespace: str = "*"
    name: str = "*"

    def matches(self, ref: ResourceRef) -> bool:
        return (
            fnmatch.fnmatchcase(ref.kind, self.kind)
            and fnmatch.fnmatchcase(ref.namespace or "", self.namespace)
            and fnmatch.fnmatchcase(ref.name, self.name)
        )


@dataclass(frozen=True, slots=True)
class PolicyException:
    index: int
    policy: str
    environments: tuple[str, ...]
    resources: tuple[ResourcePattern, ...]
    containers: tuple[str, ...]
    reason: str
    owner: str
    expires: datetime.date
    location: SourceLocation

    def covers(self, policy: str, environment: str, ref: ResourceRef) -> bool:
        return (
            fnmatch.fnmatchcase(policy, self.policy)
            and any(fnmatch.fnmatchcase(environment, e) for e in self.environments)
            and any(r.matches(ref) for r in self.resources)
        )

    def names_environment(self, environment: str) -> bool:
        return any(fnmatch.fnmatchcase(environment, e) for e in self.environments)


def _date(value: Any, where: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise PolicyError(f"{where}: 'expires' must be a date like 2026-12-31") from None


def _entry(raw: Any, index: int, file: str, line: int) -> PolicyException:
    where = f"{file}:{line}: exception #{index + 1}"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: must be a mapping")
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise PolicyError(f"{where}: missing {', '.join(missing)}")
    resources = raw["resources"] if isinstance(raw["resources"], list) else []
    if not resources or not all(isinstance(r, Mapping) for r in resources):
        raise PolicyError(f"{where}: 'resources' must be a list of {{kind, namespace, name}}")
    return PolicyException(
        index=index,
        policy=str(raw["policy"]),
        environments=tuple(str(e) for e in raw.get("environments") or ["*"]),
        resources=tuple(
            ResourcePattern(
                kind=str(r.get("kind", "*")),
                namespace=str(r.get("namespace", "*")),
                name=str(r.get("name", "*")),
            )
            for r in resources
        ),
        containers=tuple(str(c) for c in raw.get("containers") or []),
        reason=str(raw["reason"]),
        owner=str(raw["owner"]),
        expires=_date(raw["expires"], where),
        location=SourceLocation(file=file, line=line),
    )


@dataclass
class ExceptionSet:
    entries: list[PolicyException] = field(default_factory=list)
    today: datetime.date = field(default_factory=datetime.date.today)
    used: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path, display: str, today: datetime.date | None = None) -> ExceptionSet:
        documents = read_yaml_documents(path)
        if not documents and _has_content(path.read_text(encoding="utf-8")):
            # A list or a scalar is not "no exceptions": say so rather than ignore the file.
            raise PolicyError(f"{display}: must be a mapping with an 'exceptions' list")
        raw = documents[0].get("exceptions") if documents else []
        if not isinstance(raw, list):
            raise PolicyError(f"{display}: expected a top-level 'exceptions' list")
        lines = [
            number
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if _ENTRY_LINE.match(text)
        ]
        entries = [
            _entry(item, i, display, lines[i] if i < len(lines) else 1)
            for i, item in enumerate(raw)
        ]
        return cls(entries=entries, today=today or datetime.date.today())

    def active_for(self, policy: str, environment: str, ref: ResourceRef) -> list[PolicyException]:
        return [
            e
            for e in self.entries
            if e.expires >= self.today and e.covers(policy, environment, ref)
        ]

    def mark_used(self, exception: PolicyException) -> None:
        self.used.add(exception.index)

    def findings(self, environments: Iterable[str]) -> list[Finding]:
        """Expired exceptions, and live ones that matched nothing in the evaluated environments."""
        evaluated = list(environments)
        out: list[Finding] = []
        for entry in self.entries:
            if entry.expires < self.today:
                out.append(_finding("exception-expired", Severity.ERROR, entry, _expired(entry)))
            elif entry.index not in self.used and any(
                entry.names_environment(env) for env in evaluated
            ):
                message = (
                    f"exception for policy {entry.policy!r} (owner {entry.owner}) matched "
                    f"no finding in environments {', '.join(evaluated)}: remove it"
                )
                out.append(_finding("exception-unused", Severity.WARNING, entry, message))
        return out


def _has_content(text: str) -> bool:
    return any(
        line.strip() and not line.lstrip().startswith(("#", "---")) for line in text.splitlines()
    )


def _expired(entry: PolicyException) -> str:
    return (
        f"exception for policy {entry.policy!r} (owner {entry.owner}) expired on "
        f"{entry.expires.isoformat()}: renew it with a reason or fix the resources"
    )


def _finding(rule: str, severity: Severity, entry: PolicyException, message: str) -> Finding:
    return Finding(
        rule_id=rule,
        category=Category.EXCEPTION,
        severity=severity,
        message=message,
        location=entry.location,
    )


# A container-scoped exception applies when the object passes without those containers.
_POD_SPEC_PATHS = (("spec",), ("spec", "template", "spec"))
_CRON_PATH = ("spec", "jobTemplate", "spec", "template", "spec")


def without_containers(body: Mapping[str, Any], entry: PolicyException) -> dict[str, Any]:
    copy: dict[str, Any] = _deep_copy(body)
    for path in (*_POD_SPEC_PATHS, _CRON_PATH):
        spec: Any = copy
        for key in path:
            spec = spec.get(key) if isinstance(spec, dict) else None
        if isinstance(spec, dict):
            for field in ("containers", "initContainers", "ephemeralContainers"):
                if isinstance(spec.get(field), list):
                    spec[field] = [c for c in spec[field] if not _named_in(c, entry.containers)]
    return copy


def _named_in(container: Any, names: Sequence[str]) -> bool:
    name = str(container.get("name", "")) if isinstance(container, Mapping) else ""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in names)


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
