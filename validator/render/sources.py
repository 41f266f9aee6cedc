"""Source-file YAML problems as findings: syntax, duplicate keys, alias bombs, size, encoding.

Every file with such a problem is also *refused*: the environments that read it are not handed
to kustomize or Helm, which would hang or exhaust memory on hostile files and quote a broken
file's content (secret values included) in their errors. The values of the Secrets in the files
that pass are read when a tool's error needs masking, so that the masker can remove them.

A file that passed is remembered by its content's digest (under `<cache dir>/sources/`, sealed
like every cache entry; nothing but the digest and "passed" is stored): a warm run over 10,000
objects no longer parses every source file again to find nothing.
"""

from __future__ import annotations

import hashlib
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from validator import __version__
from validator.cachefile import read_sealed, write_sealed
from validator.guarded import GuardError, read_text
from validator.model import Category, Finding, Severity, SourceLocation
from validator.render.stream import StreamError, load_documents

MAX_SOURCE_BYTES = 8 << 20
# Deeper than any real manifest (CRD schemas stay under 40); deeper ones make kustomize dump
# the document in its error and blow Python's recursion limit in walks.
MAX_SOURCE_DEPTH = 100
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_LINE = re.compile(r"at line (\d+), column (\d+)")


class SecretValues:
    """The values of the Secrets in the files that passed, read on first use (a render error
    to mask), at most once."""

    def __init__(self) -> None:
        self._files: list[Path] = []
        self._values: set[str] | None = None
        self._lock = threading.Lock()  # environments render, and fail, in threads

    def add(self, path: Path) -> None:
        self._files.append(path)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            if self._values is None:
                self._values = set()
                for path in self._files:
                    self._values.update(_secret_values(_documents(path)))
            return iter(sorted(self._values))


@dataclass(frozen=True, slots=True)
class SourceCheck:
    findings: list[Finding] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # repo-relative file → why
    sensitive: SecretValues = field(default_factory=SecretValues)  # for the masker


def check_source_files(
    repo: Path, files: Iterable[str], cache_dir: Path | None = None
) -> SourceCheck:
    """`cache_dir`: where files that passed are remembered (None: every file is parsed)."""
    result = SourceCheck()
    for relative in sorted(set(files)):
        path = repo / relative
        if path.suffix in _YAML_SUFFIXES and not _is_chart_template(path):
            _check(path, relative, result, cache_dir)
        elif _too_big(path):
            _refuse(result, relative, 1, f"file is larger than {MAX_SOURCE_BYTES >> 20} MiB")
        elif _special(path):  # a FIFO or device as a generator file would hang kustomize
            _refuse(result, relative, 1, "not a regular file")
    return result


def _special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _is_chart_template(path: Path) -> bool:
    return any(
        parent.name == "templates" and (parent.parent / "Chart.yaml").is_file()
        for parent in path.parents
    )


def _too_big(path: Path) -> bool:
    try:
        return path.stat().st_size > MAX_SOURCE_BYTES
    except OSError:
        return False


def _check(path: Path, relative: str, result: SourceCheck, cache_dir: Path | None) -> None:
    if _too_big(path):
        _refuse(result, relative, 1, f"file is larger than {MAX_SOURCE_BYTES >> 20} MiB")
        return
    if not path.exists():
        return  # a missing input is the render's finding, not a YAML problem
    try:
        text = read_text(path, limit=MAX_SOURCE_BYTES)  # a FIFO or device is refused, not read
    except GuardError as error:
        reason = "file is not valid UTF-8" if error.reason == "not UTF-8" else error.reason
        _refuse(result, relative, error.line, reason)
        return
    passed = _PassedFiles(cache_dir, text) if cache_dir is not None else None
    if passed is not None and passed.known():
        result.sensitive.add(path)
        return
    try:
        documents = load_documents(text)
    except StreamError as error:
        _report_parse_error(str(error), text, relative, result)
        return
    if _too_deep(documents):
        _refuse(result, relative, 1, f"nested deeper than {MAX_SOURCE_DEPTH} levels")
        return
    result.sensitive.add(path)
    if passed is not None:
        passed.remember()


class _PassedFiles:
    """Has this exact content passed the checks before? Files with problems are never kept:
    their findings are worked out afresh each run."""

    def __init__(self, cache_dir: Path, text: str) -> None:
        digest = hashlib.sha256(text.encode()).hexdigest()
        self._directory = cache_dir
        self._tag = f"source-passed/{__version__}/{MAX_SOURCE_DEPTH}/{digest}".encode()
        self._path = cache_dir / "sources" / digest[:2] / f"{digest}.json"

    def known(self) -> bool:
        return read_sealed(self._directory, self._path, self._tag) is True

    def remember(self) -> None:
        write_sealed(self._directory, self._path, self._tag, True)


def _documents(path: Path) -> list[object]:
    try:
        return list(load_documents(read_text(path, limit=MAX_SOURCE_BYTES)))
    except (GuardError, StreamError, OSError):
        return []  # changed since it was checked: nothing of it reaches a tool as checked


def _too_deep(documents: list[object]) -> bool:
    """Iterative, so that the check itself cannot hit the recursion limit."""
    stack = [(document, 1) for document in documents]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_SOURCE_DEPTH:
            return True
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _secret_values(documents: list[object]) -> set[str]:
    values: set[str] = set()
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "Secret":
            for section in ("data", "stringData"):
                entries = document.get(section)
                if isinstance(entries, dict):
                    values.update(str(v) for v in entries.values() if isinstance(v, str | int))
    return values


def _report_parse_error(message: str, text: str, relative: str, result: SourceCheck) -> None:
    if message.startswith("alias replay limit"):
        _refuse(result, relative, 1, "too many alias expansions (alias bomb?)")
        return
    if message.startswith("duplicate mapping key"):
        line, column = _duplicate_position(text)
        result.findings.append(_finding("yaml-duplicate-key", relative, line, message, column))
    else:
        match = _LINE.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        result.findings.append(
            _finding("yaml-invalid", relative, line, f"invalid YAML: {message}", column)
        )
    result.refused[relative] = "invalid YAML"  # the finding above says where and why


def _refuse(result: SourceCheck, relative: str, line: int, reason: str) -> None:
    result.refused[relative] = reason
    result.findings.append(_finding("yaml-invalid", relative, line, f"{reason}; refused"))


def _duplicate_position(text: str) -> tuple[int, int]:
    try:
        list(YAML(typ="rt").load_all(text))
    except DuplicateKeyError as error:
        mark = error.problem_mark
        if mark is not None:
            return mark.line + 1, mark.column + 1
    except (MarkedYAMLError, YAMLError, ValueError):  # ValueError: a plain `._`
        pass
    return 1, 1


def _finding(rule: str, file: str, line: int, message: str, column: int = 1) -> Finding:
    return Finding(
        rule_id=rule,
        category=Category.YAML,
        severity=Severity.ERROR,
        message=message,
        location=SourceLocation(file, line, column),
    )
