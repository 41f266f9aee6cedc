"""GitHub Actions workflow-command annotations, plus a Markdown job summary.

Annotations land on the source file and line of the pull request's diff. GitHub shows only the
first 10 errors and 10 warnings of a step as annotations (the rest stay in the log), so errors
are written first. The job summary is appended to the file `$GITHUB_STEP_SUMMARY` names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from validator.model import Finding, Severity, UsageError, ValidationReport
from validator.report.budget import utf8_size
from validator.report.describe import message_with_context
from validator.report.markdown_writer import in_pr_mode, markdown_report

SUMMARY_LIMIT = 1024 * 1024 - 4096  # GitHub refuses a step summary over 1 MiB; keep a margin
_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF (so multi-line messages stay one command)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: like data, plus the `:` and `,` that delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties: list[tuple[str, str]] = []
    if finding.location:
        loc = finding.location
        properties += [("file", loc.file), ("line", str(loc.line)), ("col", str(loc.column))]
    title = finding.rule_id + (f" ({finding.environment})" if finding.environment else "")
    properties.append(("title", title))
    rendered = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    command = _COMMANDS[finding.severity]
    return f"::{command} {rendered}::{escape_data(message_with_context(finding))}"


def write_github(
    report: ValidationReport,
    stream: TextIO,
    color: bool = False,
    *,
    summary_path: Path | None = None,
) -> None:
    """Annotations to `stream`; the summary to `summary_path`, else `$GITHUB_STEP_SUMMARY`."""
    for finding in sorted(report.findings, key=lambda f: -f.severity.rank):
        stream.write(annotation(finding) + "\n")
    target = summary_path or _summary_from_environment()
    if target is not None:
        append_job_summary(report, target)


def append_job_summary(report: ValidationReport, path: Path) -> None:
    text = markdown_report(
        report,
        diffs=report.diffs,
        baseline_fingerprints=report.base_fingerprints if in_pr_mode(report) else None,
        limit=SUMMARY_LIMIT,
        measure=utf8_size,
    )
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot append the job summary to {path}: {error.strerror}") from None


def _summary_from_environment() -> Path | None:
    value = os.environ.get("GITHUB_STEP_SUMMARY")
    return Path(value) if value else None
