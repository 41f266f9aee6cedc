"""Where each rendered document came from: a source file and the line its document starts on.

kustomize's origin annotation names a file but neither a line nor a document index, so the
document is found again by kind and name among the file's documents.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.render.stream import StreamError, load_documents

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_SEPARATOR = re.compile(r"^---")
_ORIGIN_FIELD = re.compile(r"^(path|configuredIn|repo):\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Chunk:
    start_line: int  # 1-based line of the document's first content line
    text: str
    kind: str
    name: str


class DocumentIndex:
    """Documents of source files, split and parsed once per render."""

    def __init__(self) -> None:
        self._chunks: dict[Path, list[Chunk]] = {}

    def chunks(self, path: Path) -> list[Chunk]:
        if path not in self._chunks:
            self._chunks[path] = _split(path)
        return self._chunks[path]

    def document_line(self, path: Path, kind: str, name: str, position: int | None = None) -> int:
        """Line of the document with this kind whose name the rendered name contains."""
        chunks = self.chunks(path)
        same_kind = [c for c in chunks if c.kind == kind] or chunks
        if position is not None and position < len(same_kind):
            return same_kind[position].start_line
        exact = [c for c in same_kind if c.name == name]
        partial = [c for c in same_kind if c.name and c.name in name]
        best = exact or sorted(partial, key=lambda c: -len(c.name)) or same_kind
        return best[0].start_line if best else 1


def _split(path: Path) -> list[Chunk]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    chunks: list[Chunk] = []
    start = 0
    for index, line in enumerate([*lines, "---"]):
        if _SEPARATOR.match(line):
            chunk = _chunk(lines[start:index], start)
            if chunk:
                chunks.append(chunk)
            start = index + 1
    return chunks


def _chunk(lines: list[str], offset: int) -> Chunk | None:
    content = [
        i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not content:
        return None
    text = "\n".join(lines)
    kind, name = _identity(text)
    return Chunk(start_line=offset + content[0] + 1, text=text, kind=kind, name=name)


def _identity(text: str) -> tuple[str, str]:
    try:
        documents = load_documents(text)
    except StreamError:
        # Helm templates are not YAML until rendered; fall back to the literal lines.
        kind = re.search(r"^kind:\s*(\S+)", text, re.MULTILINE)
        return (kind.group(1) if kind else "", "")
    document = documents[0] if documents else None
    if not isinstance(document, Mapping):
        return ("", "")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return (str(document.get("kind") or ""), str(name or ""))


def parse_origin(annotation: str, wrapper: Path) -> Path | None:
    """The absolute source file an origin annotation names (generators: their kustomization)."""
    fields = dict(_ORIGIN_FIELD.findall(annotation))
    if "repo" in fields:
        return None  # a remote base: nothing in this repository to point at
    relative = fields.get("path") or fields.get("configuredIn")
    if not relative:
        return None
    return Path(os.path.normpath(wrapper / relative.strip("'\"")))


def pop_annotation(body: dict[str, Any], key: str) -> str | None:
    """Remove a bookkeeping annotation, and the annotations map if that leaves it empty."""
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return None
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or key not in annotations:
        return None
    value = annotations.pop(key)
    if not annotations:
        del metadata["annotations"]
    return str(value)
