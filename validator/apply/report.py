"""The machine-readable record of one apply/drift run (changes, drift, prunes, health, timings)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import validator
from validator.atomic import write_atomic
from validator.model import DeliveryError, ResourceRef

REPORT_SCHEMA_VERSION = 1


class Action(StrEnum):
    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"
    RECREATED = "recreated"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DriftedField:
    """One field the next apply would change. Values are already masked where sensitive."""

    path: str  # JSON pointer
    before: Any
    after: Any
    manager: str | None  # the field manager that last wrote the live value

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "manager": self.manager,
        }


@dataclass(frozen=True, slots=True)
class ObjectResult:
    ref: ResourceRef
    action: Action
    drift: tuple[DriftedField, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.ref.to_json(),
            "action": self.action.value,
            "drift": [entry.to_json() for entry in self.drift],
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class PruneResult:
    requested: bool = False
    candidates: tuple[ResourceRef, ...] = ()
    deleted: tuple[ResourceRef, ...] = ()
    skipped: tuple[tuple[ResourceRef, str], ...] = ()
    failed: tuple[tuple[ResourceRef, str], ...] = ()
    refused: str | None = None  # a guard stopped pruning (the run itself may still succeed)
    aborted: str | None = None  # a guard stopped the whole run (a failure)

    def to_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "candidates": [ref.to_json() for ref in self.candidates],
            "deleted": [ref.to_json() for ref in self.deleted],
            "skipped": [{"resource": r.to_json(), "reason": why} for r, why in self.skipped],
            "failed": [{"resource": r.to_json(), "error": why} for r, why in self.failed],
            "refused": self.refused,
            "aborted": self.aborted,
        }


@dataclass(frozen=True, slots=True)
class HealthResult:
    ref: ResourceRef
    status: str  # kstatus: Current | InProgress | Failed | Terminating | NotFound
    message: str = ""

    @property
    def healthy(self) -> bool:
        return self.status == "Current"

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.ref.to_json(), "status": self.status, "message": self.message}


@dataclass(frozen=True, slots=True)
class ApplyReport:
    environment: str
    mode: str  # apply | dry-run | drift
    revision: str | None = None  # the bundle digest
    objects: tuple[ObjectResult, ...] = ()
    prune: PruneResult = PruneResult()
    health: tuple[HealthResult, ...] = ()
    errors: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    orphans: tuple[ResourceRef, ...] = ()  # drift: recorded by an earlier apply, left the bundle

    @property
    def drifted(self) -> tuple[ObjectResult, ...]:
        """Objects whose live state differs from the bundle (before this run changed anything)."""
        return tuple(o for o in self.objects if o.action not in (Action.UNCHANGED, Action.FAILED))

    @property
    def failed(self) -> bool:
        return bool(
            self.errors
            or any(o.action is Action.FAILED for o in self.objects)
            or self.prune.aborted
            or self.prune.failed
            or any(not h.healthy for h in self.health)
        )

    @property
    def drift_remains(self) -> bool:
        """The exit-7 condition: in `drift` mode any drift; otherwise any failure."""
        if self.mode == "drift":
            return bool(self.drifted or self.orphans) or self.failed
        return self.failed

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {action.value: 0 for action in Action}
        for result in self.objects:
            counts[result.action.value] += 1
        return {
            "schemaVersion": REPORT_SCHEMA_VERSION,
            "tool": {"name": "gitops-validator", "version": validator.__version__},
            "environment": self.environment,
            "mode": self.mode,
            "revision": self.revision,
            "summary": {
                "failed": self.failed,
                "drifted": len(self.drifted),
                "actions": counts,
                "pruned": len(self.prune.deleted),
                "unhealthy": sum(not h.healthy for h in self.health),
                "orphans": len(self.orphans),
            },
            "objects": [result.to_json() for result in self.objects],
            "prune": self.prune.to_json(),
            "health": [result.to_json() for result in self.health],
            "orphans": [ref.to_json() for ref in self.orphans],
            "errors": list(self.errors),
            "timings": {name: round(seconds, 3) for name, seconds in self.timings.items()},
        }


def write_report(report: ApplyReport, path: Path) -> Path:
    text = json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"
    try:
        write_atomic(path, text.encode())
    except OSError as error:
        raise DeliveryError(f"cannot write the report {path}: {error.strerror}") from None
    return path
