"""A pull-request comment (and job summary) in GitHub-flavoured Markdown, within a size limit.

The first line is a fixed hidden marker so a workflow can find and edit its previous comment
instead of adding a new one on every push.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TextIO

from validator.model import Finding, Severity
from validator.outcome import ValidationReport
from validator.report.budget import Block, Measure, assemble
from validator.report.describe import Occurrence, occurrences, one_line, resource_label, where

MARKER = "<!-- gitops-validator -->"
COMMENT_LIMIT = 65_536  # characters GitHub accepts in an issue or pull-request comment body
_ICONS = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟡 warning", Severity.INFO: "🔵 info"}
_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")
_FINDING_TABLE = ("| Severity | Rule | Resource | Source | Message |", "|---|---|---|---|---|")


def write_markdown(
    report: ValidationReport,
    stream: TextIO,
    color: bool = False,
    *,
    diffs: Mapping[str, str] | None = None,
    baseline_fingerprints: Collection[str] | None = None,
    limit: int = COMMENT_LIMIT,
) -> None:
    """The PR comment; diffs and base fingerprints default to the report's own (PR mode)."""
    if baseline_fingerprints is None and in_pr_mode(report):
        baseline_fingerprints = report.base_fingerprints
    stream.write(
        markdown_report(
            report,
            diffs=report.diffs if diffs is None else diffs,
            baseline_fingerprints=baseline_fingerprints,
            limit=limit,
        )
    )


def in_pr_mode(report: ValidationReport) -> bool:
    """Whether the report compares against a base revision (`--changed-since`)."""
    return bool(report.base_fingerprints or report.diffs or report.new_only)


def markdown_report(
    report: ValidationReport,
    *,
    diffs: Mapping[str, str] | None = None,
    baseline_fingerprints: Collection[str] | None = None,
    limit: int = COMMENT_LIMIT,
    measure: Measure = len,
) -> str:
    """The whole comment; findings in `baseline_fingerprints` are shown as already present."""
    baseline = set(baseline_fingerprints or ())
    new = [f for f in report.findings if f.fingerprint not in baseline]
    old = [f for f in report.findings if f.fingerprint in baseline]
    blocks = [_header(report, new if baseline_fingerprints is not None else None)]
    title = "New findings" if baseline_fingerprints is not None else "Findings"
    order = [env.name for env in report.environments]
    blocks += _finding_blocks(title, new, order, open_details=True)
    blocks += _finding_blocks("Already present at the base revision", old, order, False)
    blocks += diff_blocks(diffs or {})
    unit = "characters" if measure is len else "bytes"
    return assemble(blocks, limit, _truncation_note(limit, unit), measure)


def markdown_diff_section(diffs: Mapping[str, str], limit: int = COMMENT_LIMIT) -> str:
    """Per-environment rendered diffs (already masked) as collapsible blocks within `limit`."""
    return assemble(diff_blocks(diffs), limit, _truncation_note(limit))


def diff_blocks(diffs: Mapping[str, str]) -> list[Block]:
    changed = {env: text for env, text in diffs.items() if text.strip()}
    if not changed:
        return []
    blocks = [Block(head=["### Rendered changes", ""])]
    for env, text in changed.items():
        lines = text.rstrip("\n").split("\n")
        fence = "`" * max(3, _longest_backtick_run(text) + 1)
        stats = _diff_stats(lines)
        blocks.append(
            Block(
                head=[
                    f"<details><summary><b>{escape(env)}</b> {stats}</summary>",
                    "",
                    fence + "diff",
                ],
                items=[[line] for line in lines],
                tail=[fence, "</details>", ""],
                unit="diff line",
            )
        )
    return blocks


def escape(text: str) -> str:
    """Text safe inside a table cell or summary: one line, Markdown and HTML neutralised."""
    html_safe = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", html_safe)


def html_text(text: str) -> str:
    """Text inside an HTML block (e.g. `<summary>`), where Markdown escapes would show."""
    return html.escape(one_line(text), quote=True)


def _header(report: ValidationReport, new: Sequence[Finding] | None) -> Block:
    # Each defect counted once, like the findings below (the table counts per environment).
    defects = [d.finding for d in occurrences(report.findings)]
    counts = {s.value: sum(f.severity is s for f in defects) for s in Severity}
    verdict = "✅ gitops-validator passed" if report.passed else "❌ gitops-validator failed"
    totals = ", ".join(_count(counts[s.value], s) for s in Severity)
    lines = [MARKER, f"## {verdict}", "", f"{totals} (fail on: {report.fail_on})", ""]
    with_new = new is not None
    new_by_env = _count_by_env(new or [])
    columns = "| Environment | Resources | Errors | Warnings | Info |" + (
        " New |" if with_new else ""
    )
    lines += [columns, "|---|--:|--:|--:|--:|" + ("--:|" if with_new else "")]
    by_env = _group_by_env(report.findings)
    for env in report.environments:
        found = by_env.get(env.name, [])
        row = [
            escape(env.name) + (" ⚠️ render failed" if env.failed else ""),
            str(len(env.resources)),
        ]
        row += [str(sum(f.severity is s for f in found)) for s in Severity]
        if with_new:
            row.append(str(new_by_env.get(env.name, 0)))
        lines.append("| " + " | ".join(row) + " |")
    return Block(head=[*lines, ""])


def _finding_blocks(
    title: str, findings: Sequence[Finding], order: Sequence[str], open_details: bool
) -> list[Block]:
    """One collapsible table per environment (or set of environments that share a defect,
    such as a base file every overlay reads), in the report's order; file findings last."""
    if not findings:
        return []
    defects = occurrences(findings)
    blocks = [Block(head=[f"### {title} ({len(defects)})", ""])]
    rank = {name: i for i, name in enumerate(order)}
    groups: dict[tuple[str, ...], list[Occurrence]] = {}
    for defect in defects:
        envs = tuple(sorted(defect.environments, key=lambda e: (rank.get(e, len(rank)), e)))
        groups.setdefault(envs, []).append(defect)

    def position(envs: tuple[str, ...]) -> tuple[bool, int, int, tuple[str, ...]]:
        return (not envs, min((rank.get(e, len(rank)) for e in envs), default=0), -len(envs), envs)

    for envs in sorted(groups, key=position):
        group = groups[envs]
        label = html_text(", ".join(envs)) if envs else "repository files"
        counts = ", ".join(
            _count(n, s) for s in Severity if (n := sum(d.finding.severity is s for d in group))
        )
        summary = f"<details{' open' if open_details else ''}><summary><b>{label}</b>: {counts}"
        blocks.append(
            Block(
                head=[summary + "</summary>", "", *_FINDING_TABLE],
                items=[[_row(d.finding, shared=len(envs) > 1)] for d in _ordered(group)],
                tail=["", "</details>", ""],
                unit="finding",
            )
        )
    return blocks


def _count(number: int, severity: Severity) -> str:
    plural = number != 1 and severity is not Severity.INFO
    return f"{number} {severity.value}{'s' if plural else ''}"


def _row(finding: Finding, *, shared: bool = False) -> str:
    """`shared`: found in several environments, whose namespaces may differ: kind and name."""
    source = where(finding)
    ref = finding.resource
    label = f"{ref.kind} {ref.name}" if shared and ref else resource_label(ref)
    cells = [
        _ICONS[finding.severity],
        _code(finding.rule_id),
        escape(label) or "—",
        _code(source) if source else "—",
        escape(finding.message)
        + (f" <sub>{escape(finding.path)}</sub>" if finding.path else "")
        + (f" <sub>unit {escape(finding.unit)}</sub>" if finding.unit else ""),
    ]
    return "| " + " | ".join(cells) + " |"


def _code(text: str) -> str:
    """A code span when the text cannot break out of it (or the table), else escaped text."""
    return f"`{text}`" if not re.search(r"[`|\n]", text) else escape(text)


def _ordered(defects: Iterable[Occurrence]) -> list[Occurrence]:
    return sorted(
        defects,
        key=lambda d: (
            -d.finding.severity.rank,
            d.finding.rule_id,
            resource_label(d.finding.resource),
        ),
    )


def _group_by_env(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.environment or "", []).append(finding)
    return groups


def _count_by_env(findings: Iterable[Finding]) -> dict[str, int]:
    return {env: len(group) for env, group in _group_by_env(findings).items()}


def _diff_stats(lines: Sequence[str]) -> str:
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return f"(+{added} -{removed})"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _truncation_note(limit: int, unit: str = "characters") -> Callable[[str], list[str]]:
    def note(omitted: str) -> list[str]:
        return [
            "",
            "> [!NOTE]",
            f"> Truncated to stay under {limit:,} {unit}: {omitted} not shown. "
            "Run `gitops-validator validate --format json` or see the job summary for all of them.",
        ]

    return note
