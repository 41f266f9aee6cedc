"""What Flux builds at a Kustomization's path when it holds no kustomization.yaml.

kustomize-controller then generates one listing every YAML file that decodes as Kubernetes
objects, recursively, with a subdirectory that has its own kustomization file added as a
directory instead of descended into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_yaml_text
from validator.render.inputs import kustomization_file
from validator.render.stream import StreamError, load_documents

_SUFFIXES = (".yaml", ".yml")


@dataclass
class Generated:
    resources: list[Path] = field(default_factory=list)  # files and kustomization directories
    skipped: list[Path] = field(default_factory=list)  # YAML files that hold no objects


def generated_resources(directory: Path) -> Generated:
    generated = Generated()
    _scan(directory, generated)
    return generated


def _scan(directory: Path, generated: Generated) -> None:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # .git, .github, ...: not part of what source-controller archives
        if entry.is_dir():
            if kustomization_file(entry) is not None:
                generated.resources.append(entry)
            else:
                _scan(entry, generated)
        elif entry.suffix in _SUFFIXES:  # a FIFO or device too: the source check refuses it
            target = generated.resources if _holds_objects(entry) else generated.skipped
            target.append(entry)


def _holds_objects(path: Path) -> bool:
    try:
        documents = load_documents(read_yaml_text(path))
    except (GuardError, StreamError):
        return True  # the source check (or kustomize) reports what is wrong with it
    return bool(documents) and all(_is_object(d) for d in documents)


def _is_object(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and bool(document.get("apiVersion"))
        and bool(document.get("kind"))
    )
