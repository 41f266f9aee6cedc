"""Human-readable output in the shape editors and quickfix lists read.

Every finding starts a line `file:line:col: severity rule: message` (the format of compilers,
ruff and kubeconform), sorted by file and line; a defect found in several environments (a base
file every overlay reads) is one line that names them. Then one line per environment and a
closing verdict. Nothing in it depends on timing or the cache, so two runs diff cleanly.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from validator import __version__
from validator.model import Finding, RenderedEnvironment, Severity
from validator.outcome import ValidationReport
from validator.report.describe import Occurrence, occurrences

_COLORS = {"error": "31", "warning": "33", "info": "36", "ok": "32", "dim": "2", "bold": "1"}


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        return f"\033[{_COLORS[style]}m{text}\033[0m" if self.enabled else text


def write_text(
    report: ValidationReport, stream: TextIO, color: bool = False, *, quiet: bool = False
) -> None:
    """The report; `quiet` keeps only the findings and the closing line (for CI logs)."""
    paint = _Painter(color)
    several = len(report.environments) > 1
    defects = sorted(occurrences(report.findings), key=_reading_order)
    if not quiet:
        envs, count = len(report.environments), report.resource_count
        stream.write(
            paint(f"gitops-validator {__version__}", "bold")
            + f": {envs} environment{'s' * (envs != 1)}, {count} resource{'s' * (count != 1)}\n"
        )
        if defects:
            stream.write("\n")
    for defect in defects:
        stream.write(finding_line(defect, paint, several))
    if not quiet:
        _write_environments(stream, paint, report)
    stream.write("\n" + closing_line(report, defects, paint) + "\n")


def _reading_order(defect: Occurrence) -> tuple[int, str, int, int, int, str]:
    finding = defect.finding
    loc = finding.location
    if loc is None:  # no place to jump to: after the located findings, by environment
        return (1, finding.environment or "", 0, 0, -finding.severity.rank, finding.rule_id)
    return (0, loc.file, loc.line, loc.column, -finding.severity.rank, finding.rule_id)


def finding_line(defect: Occurrence, paint: _Painter, several_environments: bool) -> str:
    finding = defect.finding
    severity = finding.severity.value
    if finding.location:
        loc = finding.location
        head = paint(f"{loc.file}:{loc.line}:{loc.column}:", "bold")
    else:
        head = paint(f"{finding.environment or 'repository'}:", "bold")
    line = f"{head} {paint(severity, severity)} {finding.rule_id}: {_one_line(finding.message)}\n"
    context = _context(defect, several_environments)
    return line + (f"    {paint(context, 'dim')}\n" if context else "")


def _context(defect: Occurrence, several_environments: bool) -> str:
    """What the finding is about: the object, the field, and where (when it is not obvious)."""
    finding = defect.finding
    parts = []
    if finding.resource:
        ref = finding.resource
        same_namespace = len(defect.environments) <= 1 and ref.namespace
        parts.append(
            f"{ref.kind} {ref.namespace}/{ref.name}" if same_namespace else f"{ref.kind} {ref.name}"
        )
    if finding.path:
        parts.append(finding.path)
    if finding.unit:
        parts.append(f"unit {finding.unit}")
    if defect.environments and (several_environments or not finding.location):
        parts.append(f"[{', '.join(defect.environments)}]")
    return "  ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no message)"


def _write_environments(stream: TextIO, paint: _Painter, report: ValidationReport) -> None:
    if not report.environments:
        return
    per_env: dict[str, Counter[str]] = {env.name: Counter() for env in report.environments}
    for finding in report.findings:
        if finding.environment in per_env:
            per_env[finding.environment][finding.severity.value] += 1
    width = max(len(env.name) for env in report.environments)
    digits = max(len(str(len(env.resources))) for env in report.environments)
    stream.write("\n")
    for env in report.environments:
        stream.write(_environment_line(env, per_env[env.name], (width, digits), paint) + "\n")


def _environment_line(
    env: RenderedEnvironment, counts: Counter[str], widths: tuple[int, int], paint: _Painter
) -> str:
    count = len(env.resources)
    resources = f"{count:>{widths[1]}} resource{'s' * (count != 1)}"
    resources = f"{resources:<{widths[1] + 10}}"
    head = f"  {env.name:<{widths[0]}}  {resources}  Kubernetes {env.kubernetes_version}  "
    if env.failed:
        return head + paint("✗ render failed", "error")
    if not counts:
        return head + paint("✓ no findings", "ok")
    worst = next(s.value for s in Severity if counts[s.value])
    return head + paint(_counts_text(counts), worst)


def _counts_text(counts: Counter[str] | dict[str, int]) -> str:
    return ", ".join(
        f"{counts[s.value]} {s.value}{'s' * (counts[s.value] != 1 and s != Severity.INFO)}"
        for s in Severity
        if counts[s.value]
    )


def closing_line(report: ValidationReport, defects: list[Occurrence], paint: _Painter) -> str:
    """`✓ passed` / `✗ failed` with the count of defects (each counted once) by severity."""
    counts = Counter(defect.finding.severity.value for defect in defects)
    full = {s.value: counts[s.value] for s in Severity}
    parts = [
        f"{full[s.value]} {s.value}{'s' * (full[s.value] != 1 and s != Severity.INFO)}"
        for s in Severity
    ]
    files = len({d.finding.location.file for d in defects if d.finding.location})
    where = f" in {files} file{'s' * (files != 1)}" if files else ""
    verdict = paint("✓ passed", "ok") if report.passed else paint("✗ failed", "error")
    return f"{verdict}: {', '.join(parts)}{where} (fail on: {report.fail_on})"


def blocking_lines(findings: list[Finding]) -> list[str]:
    """Plain `file:line:col: severity rule: message` lines, e.g. for a refusal message."""
    paint = _Painter(False)
    return [finding_line(d, paint, True).rstrip("\n") for d in occurrences(findings)]
