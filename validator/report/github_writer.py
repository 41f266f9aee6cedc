"""GitHub Actions workflow-command annotations, plus a Markdown job summary.

Annotations land on the source file and line of the pull request's diff. GitHub shows only the
first 10 errors and 10 warnings of a step as annotations (the rest stay in the log), so errors
are written first. The job summary is appended to the file `$GITHUB_STEP_SUMMARY` names.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from validator.model import Finding, Severity, UsageError
from validator.outcome import ValidationReport
from validator.report.budget import utf8_size
from validator.report.describe import message_with_context, occurrences
from validator.report.markdown_writer import in_pr_mode, markdown_report

SUMMARY_LIMIT = 1024 * 1024 - 4096  # GitHub refuses a step summary over 1 MiB; keep a margin
_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF (so multi-line messages stay one command)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: like data, plus the `:` and `,` that delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, environments: Sequence[str] = (), prefix: str = "") -> str:
    """One workflow command; `environments` names every environment that found the defect;
    `prefix` makes the file relative to the checkout (GitHub places annotations by it)."""
    properties: list[tuple[str, str]] = []
    if finding.location:
        loc = finding.location
        file = prefix + loc.file
        properties += [("file", file), ("line", str(loc.line)), ("col", str(loc.column))]
    names = list(environments) or ([finding.environment] if finding.environment else [])
    title = finding.rule_id + (f" ({', '.join(names)})" if names else "")
    properties.append(("title", title))
    rendered = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    command = _COMMANDS[finding.severity]
    message = message_with_context(
        dataclasses.replace(finding, environment=None) if len(names) > 1 else finding
    )
    return f"::{command} {rendered}::{escape_data(message)}"


def write_github(
    report: ValidationReport,
    stream: TextIO,
    color: bool = False,
    *,
    summary_path: Path | None = None,
) -> None:
    """Annotations to `stream`; the summary to `summary_path`, else `$GITHUB_STEP_SUMMARY`."""
    defects = sorted(occurrences(report.findings), key=lambda d: -d.finding.severity.rank)
    for defect in defects:
        line = annotation(defect.finding, defect.environments, report.checkout_prefix)
        stream.write(line + "\n")
    stream.write(_closing(report, len(defects)) + "\n")
    target = summary_path or _summary_from_environment()
    if target is not None:
        append_job_summary(report, target)


def _closing(report: ValidationReport, defects: int) -> str:
    """A plain closing line in the step log (workflow commands are hidden from it)."""
    counts = report.counts()
    verdict = "passed" if report.passed else "failed"
    return (
        f"gitops-validator {verdict}: {defects} finding{'s' * (defects != 1)} "
        f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info "
        f"across {len(report.environments)} environments; fail on {report.fail_on})"
    )


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
