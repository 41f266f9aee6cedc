"""`report.md`: the compliance report as Markdown (for a wiki, an issue or a job summary)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from validator.report.compliance import percent
from validator.report.markdown_writer import escape


def render_markdown(document: Mapping[str, Any]) -> str:
    summary = document["summary"]
    findings = summary["findings"]
    verdict = "✅ passed" if summary["passed"] else "❌ failed"
    lines = [
        "# GitOps compliance report",
        "",
        f"Generated {document['generatedAt']} by gitops-validator {document['tool']['version']}.",
        "",
        f"**{verdict}**: pass rate {_percent(summary['passRate'])} over "
        f"{summary['resources']} resources in {summary['environments']} environments and "
        f"{summary['controls']} controls; {findings['error']} errors, "
        f"{findings['warning']} warnings, {findings['info']} info.",
        "",
    ]
    lines += _trend(document.get("trend"))
    lines += ["## Environments", ""]
    lines += _table(
        ["Environment", "Kubernetes", "Resources", "Pass rate", "Errors", "Warnings", "Status"],
        (
            [
                escape(e["name"]),
                escape(e["kubernetesVersion"]),
                str(e["resources"]),
                _percent(e["passRate"]),
                str(e["findings"]["error"]),
                str(e["findings"]["warning"]),
                e["status"],
            ]
            for e in document["environments"]
        ),
    )
    for env in document["environments"]:
        lines += [f"## Controls: {escape(env['name'])}", ""]
        lines += _table(
            ["Control", "Category", "Pass rate", "Failing / checked", "Findings", "Status"],
            (
                [
                    f"`{c['id']}`",
                    c["category"],
                    _percent(c["passRate"]),
                    f"{c['failing']} / {c['checked']}",
                    str(c["findings"]),
                    c["status"],
                ]
                for c in env["controls"]
            ),
        )
    lines += ["## Findings", "", *_findings(document)]
    lines += ["## Exceptions", "", *_exceptions(document["exceptions"])]
    lines += ["## Secrets hygiene", "", *_secrets(document)]
    return "\n".join(lines) + "\n"


def _percent(rate: float | None) -> str:
    return percent(rate)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    body = ["| " + " | ".join(row) + " |" for row in rows]
    if not body:
        return ["None.", ""]
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers), *body, ""]


def _trend(trend: Mapping[str, Any] | None) -> list[str]:
    if not trend:
        return []
    delta = trend["passRate"]["delta"]
    change = "n/a" if delta is None else f"{delta * 100:+.1f} points"
    counts = ", ".join(
        f"{name} {d['previous']} → {d['current']}" for name, d in trend["findings"].items()
    )
    return [
        f"**Trend** since {trend['previousGeneratedAt']}: pass rate {change}; {counts}; "
        f"{trend['newFindings']} new, {trend['resolvedFindings']} resolved findings.",
        "",
    ]


def _findings(document: Mapping[str, Any]) -> list[str]:
    findings = [f for env in document["environments"] for f in env["findingList"]]
    findings += document["repositoryFindings"]
    return _table(
        ["Environment", "Severity", "Rule", "Resource", "Source", "Message"],
        ([*_finding_cells(f)] for f in findings),
    )


def _finding_cells(finding: Mapping[str, Any]) -> list[str]:
    resource = finding.get("resource") or {}
    label = "/".join(p for p in (resource.get("namespace"), resource.get("name")) if p)
    location = finding.get("location")
    return [
        escape(finding.get("environment") or "repository"),
        finding["severity"],
        f"`{finding['ruleId']}`",
        escape(f"{resource.get('kind', '')} {label}".strip()) or "—",
        escape(f"{location['file']}:{location['line']}") if location else "—",
        escape(finding["message"]),
    ]


def _exceptions(exceptions: Sequence[Mapping[str, Any]]) -> list[str]:
    return _table(
        ["Policy", "Environments", "Owner", "Reason", "Expires", "Days to expiry", "State"],
        (
            [
                f"`{x['policy']}`",
                escape(", ".join(x["environments"])),
                escape(x["owner"]),
                escape(x["reason"]),
                str(x["expires"]),
                str(x["daysToExpiry"]),
                x["status"],
            ]
            for x in exceptions
        ),
    )


def _secrets(document: Mapping[str, Any]) -> list[str]:
    rows = [
        [
            escape(env["name"]),
            env["secrets"]["status"],
            str(env["secrets"]["findings"]["error"]),
            str(env["secrets"]["findings"]["warning"]),
            escape(", ".join(f"{k}: {v}" for k, v in env["secrets"]["byRule"].items())) or "—",
        ]
        for env in document["environments"]
    ]
    overall = document["secrets"]
    rows.append(
        [
            "**all (incl. repository files)**",
            overall["status"],
            str(overall["findings"]["error"]),
            str(overall["findings"]["warning"]),
            escape(", ".join(overall["files"])) or "—",
        ]
    )
    return _table(["Environment", "Status", "Errors", "Warnings", "Rules / files"], rows)
