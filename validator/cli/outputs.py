"""`--format NAME[=FILE]` and `--output FILE`: where each report format goes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from validator.atomic import atomic_text
from validator.model import UsageError
from validator.outcome import ValidationReport
from validator.report import WRITERS
from validator.report.text_writer import write_text


@dataclass(frozen=True, slots=True)
class OutputTarget:
    format: str
    file: Path | None  # None: standard output


def parse_targets(formats: Sequence[str], output: str | None) -> list[OutputTarget]:
    targets = []
    for spec in formats or ["text"]:
        name, _, file = spec.partition("=")
        if name not in WRITERS:
            raise UsageError(f"unknown format '{name}'; choose from {', '.join(WRITERS)}")
        targets.append(OutputTarget(name, Path(file) if file else None))
    to_stdout = [t for t in targets if t.file is None]
    if output and len(to_stdout) == 1:
        targets[targets.index(to_stdout[0])] = OutputTarget(to_stdout[0].format, Path(output))
    elif output and to_stdout:
        raise UsageError("--output names one file; give several formats as --format NAME=FILE")
    if len([t for t in targets if t.file is None]) > 1:
        raise UsageError("only one format can go to standard output; use --format NAME=FILE")
    return targets


def write_targets(
    report: ValidationReport,
    targets: Sequence[OutputTarget],
    *,
    color: str = "auto",
    quiet: bool = False,
) -> None:
    for target in targets:
        if target.file is None:
            _write(report, target.format, sys.stdout, use_color(sys.stdout, color), quiet)
            continue
        try:
            with atomic_text(target.file) as handle:  # a full disk leaves no 0-byte report
                _write(report, target.format, handle, False, quiet)
        except OSError as error:
            raise UsageError(f"cannot write {target.file}: {error.strerror}") from None


def _write(report: ValidationReport, name: str, stream: TextIO, color: bool, quiet: bool) -> None:
    if name == "text":
        write_text(report, stream, color, quiet=quiet)
    else:
        WRITERS[name](report, stream, color)


def use_color(stream: object, mode: str = "auto") -> bool:
    """`--color always|never` wins; else NO_COLOR, then FORCE_COLOR, then a terminal."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
