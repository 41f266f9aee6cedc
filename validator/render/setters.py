"""Which overlay patch or transformer set a field: the place a person edits to change it.

Kustomizations are visited from the environment's overlay inwards, so the outermost setter
(the one applied last) wins, as it does in the rendered output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from validator.model import Resource
from validator.render.inputs import kustomization_file
from validator.render.yamlnodes import Segment, load_all, load_text, parse_pointer, walk


@dataclass(frozen=True, slots=True)
class Hit:
    file: Path
    line: int
    column: int = 1


Patch = tuple[Path, int, Any, Any]  # (file, line offset, patch document, target selector)


@dataclass(frozen=True, slots=True)
class _Kustomization:
    directory: Path
    file: Path
    document: CommentedMap
    patches: tuple[Patch, ...]  # last one first


@dataclass(frozen=True, slots=True)
class _Step:
    """One kustomization of an object's chain, with only the patches that target the object."""

    kustomization: _Kustomization
    patches: tuple[Patch, ...]


class SetterIndex:
    """The overlay's kustomization tree, read once per run.

    Kustomizations and their patch files are parsed once, paths resolved once, and each object's
    chain (which kustomizations and patches can set its fields) is computed once: locating one
    more finding on the object only walks the patches already known to target it.
    """

    def __init__(self, overlay: Path, repo: Path) -> None:
        self._overlay, self._repo = overlay, repo
        self._kustomizations: dict[Path, _Kustomization | None] = {}
        self._chains: dict[Path | None, tuple[_Kustomization, ...]] = {}
        self._origin_dirs: dict[str, Path] = {}
        self._steps: dict[tuple[str, str], tuple[_Step, ...]] = {}

    def find(self, resource: Resource, pointer: str) -> Hit | None:
        segments = parse_pointer(pointer)
        for step in self._object_steps(resource):
            kustomization = step.kustomization
            for patch_file, offset, document, _ in step.patches:
                found = _patch_sets(document, pointer, segments, resource)
                if found:
                    return Hit(patch_file, found[0] + offset, found[1])
            for hit in _transformers(kustomization.file, kustomization.document, resource, pointer):
                return hit
        return None

    def _object_steps(self, resource: Resource) -> tuple[_Step, ...]:
        key = (resource.environment, resource.ref.key)
        steps = self._steps.get(key)
        if steps is None:
            steps = self._steps[key] = tuple(
                _Step(k, tuple(p for p in k.patches if _targets(p[2], p[3], resource)))
                for k in self._chain(self._origin_dir(resource))
            )
        return steps

    def _origin_dir(self, resource: Resource) -> Path | None:
        origin = resource.origin
        if origin is None:
            return None
        directory = self._origin_dirs.get(origin.file)
        if directory is None:
            directory = self._origin_dirs[origin.file] = (self._repo / origin.file).parent.resolve()
        return directory

    def _chain(self, origin_dir: Path | None) -> tuple[_Kustomization, ...]:
        chain = self._chains.get(origin_dir)
        if chain is None:
            chain = self._chains[origin_dir] = tuple(self._walk(self._overlay, origin_dir, set()))
        return chain

    def _walk(
        self, directory: Path, origin_dir: Path | None, seen: set[Path]
    ) -> Iterator[_Kustomization]:
        """Kustomizations from the overlay inwards, only along paths that lead to the origin."""
        directory = directory.resolve()
        if directory in seen:
            return
        seen.add(directory)
        kustomization = self._kustomization(directory)
        if kustomization is None:
            return
        yield kustomization
        for key in ("resources", "bases", "components"):
            for entry in kustomization.document.get(key) or []:
                child = (directory / str(entry)).resolve()
                # Components patch whatever includes them, so they are always followed.
                leads_to_origin = (
                    key == "components" or origin_dir is None or origin_dir.is_relative_to(child)
                )
                if leads_to_origin and child.is_dir():
                    yield from self._walk(child, origin_dir, seen)

    def _kustomization(self, directory: Path) -> _Kustomization | None:
        if directory not in self._kustomizations:
            self._kustomizations[directory] = _read_kustomization(directory)
        return self._kustomizations[directory]


def _read_kustomization(directory: Path) -> _Kustomization | None:
    file = kustomization_file(directory)
    if file is None:
        return None
    documents = load_all(file)
    document = documents[0] if documents else None
    if not isinstance(document, CommentedMap):
        return None
    return _Kustomization(directory, file, document, tuple(_patches(directory, file, document)))


def _patches(directory: Path, file: Path, kustomization: CommentedMap) -> Iterator[Patch]:
    """(file, line offset, patch document, target selector) for every patch, last one first."""
    entries: list[tuple[Any, Any]] = []
    for key in ("patches", "patchesJson6902"):
        seq = kustomization.get(key)
        for index, entry in enumerate(seq or []):
            if isinstance(entry, Mapping):
                entries.append(
                    (_patch_source(directory, file, seq, index, entry), entry.get("target"))
                )
    seq = kustomization.get("patchesStrategicMerge")
    for index, entry in enumerate(seq or []):
        inline = {"patch": entry} if "\n" in str(entry) else {"path": entry}
        entries.append((_patch_source(directory, file, seq, index, inline), None))
    for (patch_file, offset, documents), target in reversed(entries):
        for document in documents:
            yield patch_file, offset, document, target


def _patch_source(
    directory: Path, file: Path, seq: CommentedSeq, index: int, entry: Mapping[str, Any]
) -> tuple[Path, int, tuple[Any, ...]]:
    if entry.get("path"):
        path = (directory / str(entry["path"])).resolve()
        return path, 0, load_all(path)
    text = str(entry.get("patch") or "")
    # A block scalar's content starts on the line after its key.
    key_line = (
        entry.lc.key("patch")[0] + 1
        if isinstance(entry, CommentedMap) and "patch" in entry
        else seq.lc.item(index)[0]
    )
    return file, key_line, (load_text(text),)


def _targets(document: Any, target: Any, resource: Resource) -> bool:
    selector = target if isinstance(target, Mapping) else None
    if selector is None and isinstance(document, Mapping):
        metadata = document.get("metadata") or {}
        selector = {"kind": document.get("kind"), "name": metadata.get("name")}
    if selector is None:
        return False
    if selector.get("kind") and selector["kind"] != resource.ref.kind:
        return False
    name = selector.get("name")
    return not name or _name_matches(str(name), resource.ref.name)


def _name_matches(pattern: str, rendered: str) -> bool:
    if pattern in rendered:
        return True
    try:
        return re.fullmatch(pattern, rendered) is not None
    except re.error:
        return False


def _patch_sets(
    document: Any, pointer: str, segments: list[Segment], resource: Resource
) -> tuple[int, int] | None:
    if isinstance(document, CommentedSeq):  # JSON6902 operations
        for index, op in enumerate(document):
            path = str(op.get("path", "")) if isinstance(op, Mapping) else ""
            if path and (pointer == path or pointer.startswith(path.rstrip("/") + "/")):
                line, column = document.lc.item(index)
                return line + 1, column + 1
        return None
    found = walk(document, segments, resource.body)
    return (found[0], found[1]) if found and found[2] else None


def _transformers(
    file: Path, kustomization: CommentedMap, resource: Resource, pointer: str
) -> Iterator[Hit]:
    def at(node: CommentedMap, key: str) -> Hit:
        line, column = node.lc.key(key)
        return Hit(file, line + 1, column + 1)

    if pointer.endswith("/image"):
        image = _value_at(resource.body, parse_pointer(pointer))
        for entry in kustomization.get("images") or []:
            if isinstance(entry, CommentedMap) and _image_entry_matches(entry, image):
                key = next((k for k in ("digest", "newTag", "newName") if k in entry), "name")
                yield at(entry, key)
    if pointer == "/spec/replicas":
        for entry in kustomization.get("replicas") or []:
            if isinstance(entry, CommentedMap) and entry.get("name") in resource.ref.name:
                yield at(entry, "count" if "count" in entry else "name")
    if pointer == "/metadata/namespace" and "namespace" in kustomization:
        yield at(kustomization, "namespace")
    if pointer == "/metadata/name":
        for key in ("namePrefix", "nameSuffix"):
            if key in kustomization:
                yield at(kustomization, key)
    if pointer.startswith("/metadata/labels/"):
        label = parse_pointer(pointer)[-1]
        labels = kustomization.get("commonLabels")
        if isinstance(labels, CommentedMap) and label in labels:
            yield at(labels, str(label))


def _image_entry_matches(entry: CommentedMap, image: Any) -> bool:
    return isinstance(image, str) and _repository(image) in (
        entry.get("newName"),
        entry.get("name"),
    )


def _repository(image: str) -> str:
    """'reg:5000/app:1.2@sha256:…' → 'reg:5000/app': the part an `images:` entry names."""
    name = image.split("@", 1)[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def _value_at(body: Any, segments: list[Segment]) -> Any:
    for segment in segments:
        if isinstance(body, Mapping) and isinstance(segment, str):
            body = body.get(segment)
        elif isinstance(body, list) and isinstance(segment, int) and segment < len(body):
            body = body[segment]
        else:
            return None
    return body
