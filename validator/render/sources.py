"""Source-file YAML problems as findings: syntax, duplicate keys, alias bombs, size, encoding.

Files that are hostile rather than merely wrong (huge, not UTF-8, alias bombs) are also
*refused*: the environments that read them are not handed to kustomize or Helm, which would
hang or exhaust memory on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from validator.model import Category, Finding, Severity, SourceLocation
from validator.render.stream import StreamError, load_documents

MAX_SOURCE_BYTES = 8 << 20
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_LINE = re.compile(r"at line (\d+), column (\d+)")


@dataclass(frozen=True, slots=True)
class SourceCheck:
    findings: list[Finding] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # repo-relative file → why


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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return  # a missing input is the render's finding, not a YAML problem
    except OSError as error:
        result.findings.append(
            _finding("yaml-invalid", relative, 1, f"cannot read: {error.strerror}")
        )
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        _refuse(result, relative, raw[: error.start].count(b"\n") + 1, "file is not valid UTF-8")
        return
    try:
        load_documents(text)
    except StreamError as error:
        _report_parse_error(str(error), text, relative, result)


def _report_parse_error(message: str, text: str, relative: str, result: SourceCheck) -> None:
    if message.startswith("alias replay limit"):
        _refuse(result, relative, 1, "too many alias expansions (alias bomb?)")
    elif message.startswith("duplicate mapping key"):
        line, column = _duplicate_position(text)
        result.findings.append(_finding("yaml-duplicate-key", relative, line, message, column))
    else:
        match = _LINE.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        result.findings.append(
            _finding("yaml-invalid", relative, line, f"invalid YAML: {message}", column)
        )


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
