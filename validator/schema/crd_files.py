"""CustomResourceDefinitions from files: `schema.crdPaths` (repository-relative files or
directories holding CRDs installed out of band) and every CRD committed anywhere in the
repository (a chart's `crds/`, a vendored operator bundle), so one committed copy serves every
environment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml_rs

from validator.guarded import GuardError, read_text
from validator.repofiles import repository_files

CRD_API_VERSION = "apiextensions.k8s.io/v1"
_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_FILE_BYTES = 20 * 1024 * 1024  # CRD bundles are large (cert-manager ~1 MB), not this large
# An alias bomb in a committed file is refused by the parser instead of filling memory.
_ALIAS_LIMITS = yaml_rs.AliasLimits(
    max_total_replayed_events=200_000,
    max_replay_stack_depth=32,
    max_alias_expansions_per_anchor=None,
)


@dataclass(frozen=True, slots=True)
class CrdDocument:
    file: str  # repository-relative posix path
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CrdFileProblem:
    file: str
    message: str


def _files(repo_root: Path, entry: str) -> Iterator[Path]:
    path = (repo_root / entry).resolve()
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
    else:
        yield path


def _relative(repo_root: Path, path: Path) -> str | None:
    try:
        return path.relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return None


def read_crd_file(repo_root: Path, path: Path) -> tuple[list[CrdDocument], list[CrdFileProblem]]:
    name = _relative(repo_root, path)
    if name is None:
        return [], [CrdFileProblem(path.name, "CRD path leaves the repository; not read")]
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            return [], [CrdFileProblem(name, "CRD file is larger than 20 MB; not read")]
        # Guarded: a FIFO or a link to /dev/zero must not hang or exhaust memory.
        text = read_text(path, limit=_MAX_FILE_BYTES, display=name)
        loaded = yaml_rs.loads(text, parse_datetime=False, alias_limits=_ALIAS_LIMITS)
    except FileNotFoundError:
        return [], [CrdFileProblem(name, "schema.crdPaths entry does not exist")]
    except GuardError as error:
        return [], [CrdFileProblem(name, f"cannot read CRD file: {error.reason}")]
    except (OSError, ValueError) as error:
        return [], [CrdFileProblem(name, f"cannot read CRD file: {error}")]
    documents = loaded if isinstance(loaded, list) else [loaded]
    found = [
        CrdDocument(name, doc)
        for doc in documents
        if isinstance(doc, Mapping)
        and doc.get("kind") == "CustomResourceDefinition"
        and doc.get("apiVersion") == CRD_API_VERSION
    ]
    return found, []


def read_crd_paths(
    repo_root: Path, entries: tuple[str, ...]
) -> tuple[list[CrdDocument], list[CrdFileProblem]]:
    documents: list[CrdDocument] = []
    problems: list[CrdFileProblem] = []
    for entry in entries:
        if not (repo_root / entry).exists():
            problems.append(CrdFileProblem(entry, "schema.crdPaths entry does not exist"))
            continue
        for path in _files(repo_root, entry):
            found, failed = read_crd_file(repo_root, path)
            documents.extend(found)
            problems.extend(failed)
    return documents, problems


def read_repository_crds(repo_root: Path) -> list[CrdDocument]:
    """Every CRD in the repository's own (tracked or untracked, not git-ignored) YAML and JSON
    files. Files that do not parse are skipped here: they are templates or belong to other
    checks, and only a definition that parses can serve a kind."""
    documents: list[CrdDocument] = []
    for name in _repository_files(repo_root):
        path = repo_root / name
        try:  # guarded: a FIFO or a link to /dev/zero among the files is skipped, not read
            if "CustomResourceDefinition" not in read_text(path, limit=_MAX_FILE_BYTES):
                continue
        except GuardError:
            continue
        found, _ = read_crd_file(repo_root, path)
        documents.extend(found)
    return documents


def _repository_files(root: Path) -> list[str]:
    return [name for name in repository_files(root) if name.endswith(_SUFFIXES)]
