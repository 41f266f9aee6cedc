"""A rendered object with where its source document starts and the unit that produced it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from validator.model import SourceLocation


@dataclass(frozen=True, slots=True)
class Document:
    """Cacheable as JSON, so a cached render restores origins and units exactly."""

    body: dict[str, Any]
    origin: SourceLocation | None
    unit: str | None = None  # "Kind/namespace/name" of the Flux/Argo unit, if any

    def to_json(self) -> dict[str, Any]:
        origin = self.origin
        entry: dict[str, Any] = {
            "body": self.body,
            "origin": [origin.file, origin.line] if origin else None,
        }
        if self.unit:
            entry["unit"] = self.unit
        return entry

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        origin = data.get("origin")
        return cls(
            data["body"],
            SourceLocation(origin[0], origin[1]) if origin else None,
            data.get("unit"),
        )
