"""What every Argo CD source renderer shares: the Application's context and the result type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.model import SourceLocation
from validator.render.origins import DocumentIndex
from validator.render.stream import StreamError, load_documents


class SourceError(Exception):
    """A source that cannot be rendered; the message names what failed."""


@dataclass(frozen=True)
class Rendered:
    body: dict[str, Any]
    origin: SourceLocation


@dataclass(frozen=True)
class AppContext:
    repo: Path
    name: str  # the Application's name: Helm's default release name
    namespace: str | None  # destination.namespace
    kubernetes_version: str
    app_location: SourceLocation  # where the Application is written
    cache_dir: Path
    offline: bool
    index: DocumentIndex


def documents_of(text: str, where: str) -> list[dict[str, Any]]:
    try:
        return [d for d in load_documents(text) if isinstance(d, dict)]
    except StreamError as error:
        raise SourceError(f"{where}: {error}") from None
