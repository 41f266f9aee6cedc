"""Loose manifests (`validate FILE...`, `validate -`): objects validated without an environment.

Each file is split into its YAML documents, remembering the line each starts on, so findings
point at the file and line like those of a rendered environment. A `v1` `List` (what
`kubectl get -o yaml` prints) contributes its items.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.model import (
    Category,
    Finding,
    RenderedEnvironment,
    Resource,
    ResourceRef,
    Severity,
    SourceLocation,
)
from validator.render.stream import StreamError, load_documents
from validator.render.yamlnodes import located_document, parse_pointer, walk

STDIN = "-"  # the display name of standard input


@dataclass(frozen=True, slots=True)
class ManifestSource:
    name: str  # repository-relative path, a path outside the repository, or "-"
    text: str


@dataclass(frozen=True, slots=True)
class LooseManifests:
    environment: RenderedEnvironment
    documents: Mapping[SourceLocation, str]  # each document's text, by where it starts

    def locate(self, resource: Resource, pointer: str | None) -> SourceLocation | None:
        """The line of the field `pointer` names, read from the document's text in memory
        (standard input has no file to read again)."""
        origin = resource.origin
        if origin is None or not pointer:
            return origin
        document = located_document(self.documents.get(origin, ""))
        found = walk(document, parse_pointer(pointer), resource.body) if document else None
        if not found:
            return origin
        return SourceLocation(origin.file, origin.line + found[0] - 1, found[1])


def loose_environment(
    sources: Sequence[ManifestSource], name: str, kubernetes_version: str
) -> LooseManifests:
    resources: list[Resource] = []
    findings: list[Finding] = []
    documents: dict[SourceLocation, str] = {}
    for source in sources:
        for line, chunk in _documents(source.text):
            documents[SourceLocation(source.name, line)] = chunk
            try:
                bodies = load_documents(chunk)
            except StreamError as error:
                findings.append(_invalid(source.name, line, f"{source.name}: {error}", name))
                continue
            for body in bodies:
                if not isinstance(body, Mapping) or not body.get("kind"):
                    message = "a document that is not a Kubernetes object (no kind)"
                    findings.append(_invalid(source.name, line, message, name))
                    continue
                origin = SourceLocation(source.name, line)
                resources += [
                    Resource(ResourceRef.of(item), item, name, origin) for item in _items(body)
                ]
    environment = RenderedEnvironment(
        name=name,
        kubernetes_version=kubernetes_version,
        resources=tuple(resources),
        findings=tuple(findings),
        input_files=frozenset(s.name for s in sources if s.name != STDIN),
    )
    return LooseManifests(environment, documents)


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of each document: documents are separated by `---` lines."""
    start, lines = 1, list[str]()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            if any(part.strip() for part in lines):
                yield start, "\n".join(lines) + "\n"
            start, lines = number + 1, []
            continue
        lines.append(line)
    if any(part.strip() for part in lines):
        yield start, "\n".join(lines) + "\n"


def _items(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    if body.get("kind") == "List" and isinstance(body.get("items"), list):
        return [dict(item) for item in body["items"] if isinstance(item, Mapping)]
    return [dict(body)]


def _invalid(file: str, line: int, message: str, environment: str) -> Finding:
    return Finding(
        rule_id="yaml-invalid",
        category=Category.YAML,
        severity=Severity.ERROR,
        message=message,
        environment=environment,
        location=SourceLocation(file, line),
    )
