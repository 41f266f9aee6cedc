"""Schemas for kinds no built-in schema or CRD serves, from `schema.locations`.

Locations are tried in order; the first that holds a schema for the kind wins. Every place
looked at is remembered, so an unknown kind's message says exactly where the tool looked.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

from validator.guarded import GuardError, read_text
from validator.schema.location_template import Location, parse_location
from validator.schema.remote import RemoteSchemas

MAX_SCHEMA_BYTES = 8 << 20  # the largest schemas (CRD bundles) are a few MB


@dataclass(frozen=True, slots=True)
class LocatedSchema:
    validator: jsonschema_rs.Validator | None  # None: nothing found, or it does not compile
    source: str | None  # where the schema came from
    tried: tuple[str, ...]  # "<place> (<why not>)" for every place without a schema
    error: str | None = None  # the found schema does not compile


class SchemaLocations:
    """Thread-safe; one per run, shared by every environment."""

    def __init__(
        self,
        configured: tuple[str, ...],
        repo_root: Path,
        cache_dir: Path | None,
        offline: bool,
    ) -> None:
        self._locations = [parse_location(entry) for entry in configured]
        self._repo_root = repo_root
        self._remote = RemoteSchemas(cache_dir, offline)
        self._lock = threading.Lock()
        self._found: dict[tuple[str, str, str], LocatedSchema] = {}

    @property
    def configured(self) -> bool:
        return bool(self._locations)

    def lookup(self, api_version: str, kind: str, kubernetes_version: str) -> LocatedSchema:
        key = (api_version, kind, kubernetes_version)
        found = self._found.get(key)
        if found is None:
            found = self._search(api_version, kind, kubernetes_version)
            with self._lock:
                self._found.setdefault(key, found)
        return found

    def _search(self, api_version: str, kind: str, kubernetes_version: str) -> LocatedSchema:
        tried = []
        for location in self._locations:
            place = location.expand(api_version, kind, kubernetes_version)
            body, note = self._read(location, place)
            if body is None:
                tried.append(f"{place} ({note})")
                continue
            return _compiled(body, place, tuple(tried))
        return LocatedSchema(None, None, tuple(tried))

    def _read(self, location: Location, place: str) -> tuple[bytes | None, str]:
        if location.is_url:
            fetched = self._remote.get(place)
            return fetched.body, fetched.note
        path = Path(place) if Path(place).is_absolute() else self._repo_root / place
        if not path.exists():
            return None, "no such file"
        try:  # guarded: a FIFO or a link to /dev/zero is refused, not read
            return read_text(path, limit=MAX_SCHEMA_BYTES).encode(), ""
        except GuardError as error:
            return None, f"unreadable: {error.reason}"


def _compiled(body: bytes, place: str, tried: tuple[str, ...]) -> LocatedSchema:
    try:
        schema: Any = json.loads(body)
    except ValueError:
        return LocatedSchema(None, place, tried, f"the schema at {place} is not JSON")
    if not isinstance(schema, dict):
        return LocatedSchema(None, place, tried, f"the schema at {place} is not a JSON object")
    try:
        validator = jsonschema_rs.validator_for(schema)
    except ValueError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return LocatedSchema(None, place, tried, f"the schema at {place} is invalid: {reason}")
    return LocatedSchema(validator, place, tried)
