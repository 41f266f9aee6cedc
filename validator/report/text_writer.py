"""Human-readable output grouped by environment and resource, coloured on a terminal."""

from __future__ import annotations

from collections import defaultdict
from typing import TextIO

from validator import __version__
from validator.model import Finding, RenderedEnvironment, ResourceRef, Severity, ValidationReport

_COLORS = {"error": "31", "warning": "33", "info": "36", "ok": "32", "dim": "2", "bold": "1"}


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        return f"\033[{_COLORS[style]}m{text}\033[0m" if self.enabled else text


def write_text(report: ValidationReport, stream: TextIO, color: bool = False) -> None:
    paint = _Painter(color)
    by_env: dict[str | None, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_env[finding.environment].append(finding)
    envs = len(report.environments)
    stream.write(
        paint(f"gitops-validator {__version__}", "bold")
        + f": {envs} environment{'s' * (envs != 1)}, {report.resource_count} resources\n"
    )
    for env in report.environments:
        _write_environment(stream, paint, env, by_env.get(env.name, []))
    if by_env.get(None):
        stream.write("\n" + paint("repository files", "bold") + "\n")
        _write_findings(stream, paint, by_env[None], indent="  ")
    _write_summary(stream, paint, report)


def _write_environment(
    stream: TextIO, paint: _Painter, env: RenderedEnvironment, findings: list[Finding]
) -> None:
    cached = paint(" (cached render)", "dim") if env.from_cache else ""
    count = len(env.resources)
    header = (
        f"{env.name}: {count} resource{'s' * (count != 1)}, Kubernetes {env.kubernetes_version}"
    )
    stream.write("\n" + paint(header, "bold") + cached + "\n")
    if not findings:
        stream.write("  " + paint("✓ no findings", "ok") + "\n")
        return
    by_resource: dict[ResourceRef | None, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_resource[finding.resource].append(finding)
    for ref, group in by_resource.items():
        if ref is None:
            _write_findings(stream, paint, group, indent="  ")
            continue
        where = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
        stream.write(f"  {ref.kind} {where}\n")
        _write_findings(stream, paint, group, indent="    ")


def _write_findings(stream: TextIO, paint: _Painter, findings: list[Finding], indent: str) -> None:
    for finding in sorted(findings, key=lambda f: (-f.severity.rank, f.rule_id)):
        severity = finding.severity.value
        stream.write(f"{indent}{paint(f'{severity:<7}', severity)} {finding.rule_id}: ")
        stream.write(f"{finding.message}\n")
        where = []
        if finding.location:
            loc = finding.location
            where.append(f"{loc.file}:{loc.line}:{loc.column}")
        if finding.path:
            where.append(finding.path)
        if finding.unit:
            where.append(f"unit {finding.unit}")
        if where:
            stream.write(f"{indent}        {paint('  '.join(where), 'dim')}\n")


def _write_summary(stream: TextIO, paint: _Painter, report: ValidationReport) -> None:
    counts = report.counts()
    parts = [
        f"{counts[s.value]} {s.value}{'s' * (counts[s.value] != 1 and s != Severity.INFO)}"
        for s in Severity
    ]
    verdict = paint("✓ passed", "ok") if report.passed else paint("✗ failed", "error")
    stream.write(f"\n{verdict}: {', '.join(parts)} (fail on: {report.fail_on})\n")
