"""Source-file YAML problems as findings: syntax, duplicate keys, alias bombs, size, encoding."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from validator.model import Category, Finding, Severity, SourceLocation
from validator.render.stream import StreamError, load_documents

MAX_SOURCE_BYTES = 8 << 20
_LINE = re.compile(r"at line (\d+), column (\d+)")


def check_source_files(repo: Path, files: Iterable[str]) -> list[Finding]:
    findings: list[Finding] = []
    for relative in sorted(set(files)):
        path = repo / relative
        if path.suffix in (".yaml", ".yml") and not _is_chart_template(path):
            finding = _check(path, relative)
            if finding:
                findings.append(finding)
    return findings


def _is_chart_template(path: Path) -> bool:
    return any(
        parent.name == "templates" and (parent.parent / "Chart.yaml").is_file()
        for parent in path.parents
    )


def _check(path: Path, relative: str) -> Finding | None:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return _finding("yaml-invalid", relative, 1, f"cannot read file: {error.strerror}")
    if len(raw) > MAX_SOURCE_BYTES:
        return _finding(
            "yaml-invalid",
            relative,
            1,
            f"file is larger than {MAX_SOURCE_BYTES >> 20} MiB; refused",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return _finding("yaml-invalid", relative, line, "file is not valid UTF-8; refused")
    try:
        load_documents(text)
    except StreamError as error:
        message = str(error)
        if message.startswith("duplicate mapping key"):
            line, column = _duplicate_position(text)
            return _finding("yaml-duplicate-key", relative, line, message, column)
        if message.startswith("alias replay limit"):
            return _finding(
                "yaml-invalid", relative, 1, "too many alias expansions (alias bomb?); refused"
            )
        match = _LINE.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        return _finding("yaml-invalid", relative, line, f"invalid YAML: {message}", column)
    return None


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
