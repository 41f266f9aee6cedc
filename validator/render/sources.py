"""Source-file YAML problems as findings: syntax, duplicate keys, alias bombs, size, encoding.

Every file with such a problem is also *refused*: the environments that read it are not handed
to kustomize or Helm, which would hang or exhaust memory on hostile files and quote a broken
file's content (secret values included) in their errors. The values of the Secrets in the files
that pass are collected, so that the masker can remove them from the tools' messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from validator.guarded import GuardError, read_text
from validator.model import Category, Finding, Severity, SourceLocation
from validator.render.stream import StreamError, load_documents

MAX_SOURCE_BYTES = 8 << 20
# Deeper than any real manifest (CRD schemas stay under 40); deeper ones make kustomize dump
# the document in its error and blow Python's recursion limit in walks.
MAX_SOURCE_DEPTH = 100
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_LINE = re.compile(r"at line (\d+), column (\d+)")


@dataclass(frozen=True, slots=True)
class SourceCheck:
    findings: list[Finding] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # repo-relative file → why
    sensitive: set[str] = field(default_factory=set)  # Secret values, for the masker


def check_source_files(repo: Path, files: Iterable[str]) -> SourceCheck:
    result = SourceCheck()
    for relative in sorted(set(files)):
        path = repo / relative
        if path.suffix in _YAML_SUFFIXES and not _is_chart_template(path):
            _check(path, relative, result)
        elif _too_big(path):
            _refuse(result, relative, 1, f"file is larger than {MAX_SOURCE_BYTES >> 20} MiB")
    return result


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


def _check(path: Path, relative: str, result: SourceCheck) -> None:
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
    try:
        documents = load_documents(text)
    except StreamError as error:
        _report_parse_error(str(error), text, relative, result)
        return
    if _too_deep(documents):
        _refuse(result, relative, 1, f"nested deeper than {MAX_SOURCE_DEPTH} levels")
        return
    result.sensitive.update(_secret_values(documents))


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
    except (MarkedYAMLError, YAMLError):
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
