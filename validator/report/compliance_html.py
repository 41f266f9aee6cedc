"""`report.html`: one self-contained page — inline CSS, no script, nothing fetched.

Every value is HTML-escaped, and a Content-Security-Policy forbids loading anything at all, so
the page opens the same from an artifact download, a file share or an air-gapped laptop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from validator.report.compliance import percent
from validator.report.compliance_chart import trend_chart

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
.meta{color:#656d76}.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#cf222e}
.error{color:#cf222e;font-weight:600}.warning{color:#9a6700;font-weight:600}.info{color:#0969da}
.bar{background:#eaeef2;border-radius:3px;height:.6rem;width:8rem;display:inline-block}
.bar span{background:#2da44e;border-radius:3px;height:100%;display:block}
code{font-size:.9em}
.verdict{font-size:1.2rem;font-weight:600;padding:.6rem 1rem;border-radius:6px}
.verdict.pass{background:#dafbe1}.verdict.fail{background:#ffebe9}
details>summary{cursor:pointer;list-style:revert}details>summary h2{display:inline;border:0}
details{margin-top:1.2rem;border-top:1px solid #d0d7de;padding-top:.4rem}
svg.chart{border:1px solid #d0d7de;border-radius:6px;background:#fff}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def render_html(document: Mapping[str, Any]) -> str:
    """What needs action first (verdict, failing controls, findings), the passing detail
    after it in collapsed sections."""
    summary = document["summary"]
    environments = document["environments"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>GitOps compliance report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>GitOps compliance report</h1>",
        f'<p class="meta">Generated {_e(document["generatedAt"])} by gitops-validator '
        f"{_e(document['tool']['version'])}</p>",
        _verdict(summary),
        _cards(summary),
        _trend(document.get("trend")),
        trend_chart(document.get("history") or []),
        '<h2 id="action">Needs action</h2>',
        _failing_controls(document["controls"]),
        "<h2>Findings</h2>",
        _findings(document),
        _details(
            "Environments",
            _table(
                [
                    "Environment",
                    "Kubernetes",
                    "Resources",
                    "Pass rate",
                    "Errors",
                    "Warnings",
                    "Status",
                ],
                [_environment_row(env) for env in environments],
                table_id="environments",
            ),
            open_=any(env["status"] != "pass" for env in environments),
        ),
        *(
            _details(
                f"Controls: {env['name']}",
                _controls(env["controls"]),
                anchor=f"env-{env['name']}",
            )
            for env in environments
        ),
        _details("Exceptions", _exceptions(document["exceptions"])),
        _details("Secrets hygiene", _secrets(document)),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _verdict(summary: Mapping[str, Any]) -> str:
    findings = summary["findings"]
    if summary["passed"]:
        return '<p class="verdict pass" id="verdict">✓ Compliant: nothing blocks.</p>'
    return (
        '<p class="verdict fail" id="verdict">✗ Not compliant: '
        f"{_e(findings['error'])} errors and {_e(findings['warning'])} warnings need action "
        f"(fail on {_e(summary['failOn'])}).</p>"
    )


def _details(title: str, body: str, *, open_: bool = False, anchor: str = "") -> str:
    attribute = f' id="{_e(anchor)}"' if anchor else ""
    state = " open" if open_ else ""
    return f"<details{attribute}{state}><summary><h2>{_e(title)}</h2></summary>{body}</details>"


def _failing_controls(controls: Sequence[Mapping[str, Any]]) -> str:
    failing = [c for c in controls if c["status"] != "pass"]
    if not failing:
        return '<p class="pass">Every control passes.</p>'
    failing.sort(key=lambda c: (c["status"] != "fail", -c["failing"], c["id"]))
    return _controls(failing, table_id="failing-controls")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _percent(rate: float | None) -> str:
    return percent(rate)


def _bar(rate: float | None) -> str:
    if rate is None:
        return "n/a"
    return (
        f'<span class="bar"><span style="width:{rate * 100:.1f}%"></span></span> {_percent(rate)}'
    )


def _status(status: str) -> str:
    return f'<span class="{_e(status)}">{_e(status)}</span>'


def _cards(summary: Mapping[str, Any]) -> str:
    findings = summary["findings"]
    verdict = "pass" if summary["passed"] else "fail"
    cards = [
        ("Verdict", _status(verdict)),
        ("Pass rate", _e(_percent(summary["passRate"]))),
        ("Environments", _e(summary["environments"])),
        ("Resources", _e(summary["resources"])),
        ("Controls", _e(summary["controls"])),
        ("Errors", _e(findings["error"])),
        ("Warnings", _e(findings["warning"])),
    ]
    body = "".join(f'<div class="card">{label}<b>{value}</b></div>' for label, value in cards)
    return f'<div class="cards" id="summary">{body}</div>'


def _trend(trend: Mapping[str, Any] | None) -> str:
    if not trend:
        return ""
    rate = trend["passRate"]
    change = "n/a" if rate["delta"] is None else f"{rate['delta'] * 100:+.1f} points"
    severities = ", ".join(
        f"{_e(name)} {_e(d['previous'])} → {_e(d['current'])}"
        for name, d in trend["findings"].items()
    )
    return (
        f'<p id="trend">Since {_e(trend["previousGeneratedAt"])}: pass rate {_e(change)}; '
        f"{severities}; {_e(trend['newFindings'])} new and "
        f"{_e(trend['resolvedFindings'])} resolved findings.</p>"
    )


def _table(
    headers: Sequence[str], rows: Iterable[str], table_id: str = "", empty: str = "None"
) -> str:
    attribute = f' id="{_e(table_id)}"' if table_id else ""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(rows) or f'<tr><td colspan="{len(headers)}">{_e(empty)}</td></tr>'
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cells(*cells: str, numeric: Sequence[int] = ()) -> str:
    return (
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(cells)
        )
        + "</tr>"
    )


def _environment_row(env: Mapping[str, Any]) -> str:
    name = _e(env["name"]) + (" (render failed)" if env["renderFailed"] else "")
    return _cells(
        f'<a href="#env-{_e(env["name"])}">{name}</a>',
        _e(env["kubernetesVersion"]),
        _e(env["resources"]),
        _bar(env["passRate"]),
        _e(env["findings"]["error"]),
        _e(env["findings"]["warning"]),
        _status(env["status"]),
        numeric=(2, 4, 5),
    )


def _controls(controls: Sequence[Mapping[str, Any]], table_id: str = "") -> str:
    rows = (
        _cells(
            f"<code>{_e(c['id'])}</code>",
            _e(c["category"]),
            _bar(c["passRate"]),
            f"{_e(c['failing'])} / {_e(c['checked'])}",
            _e(c["findings"]),
            _status(c["status"]),
            numeric=(3, 4),
        )
        for c in controls
    )
    headers = ["Control", "Category", "Pass rate", "Failing / checked", "Findings", "Status"]
    return _table(headers, rows, table_id=table_id, empty="No controls evaluated")


def _findings(document: Mapping[str, Any]) -> str:
    findings = [f for env in document["environments"] for f in env["findingList"]]
    findings += document["repositoryFindings"]
    rows = (_finding_row(f) for f in findings)
    headers = ["Environment", "Severity", "Rule", "Resource", "Source", "Message"]
    return _table(headers, rows, table_id="findings", empty="No findings")


def _finding_row(finding: Mapping[str, Any]) -> str:
    resource = finding.get("resource") or {}
    label = " ".join(p for p in (resource.get("kind"), _qualified(resource)) if p)
    location = finding.get("location") or {}
    source = f"{location.get('file')}:{location.get('line')}" if location else ""
    severity = finding["severity"]
    return _cells(
        _e(finding.get("environment") or "repository"),
        f'<span class="{_e(severity)}">{_e(severity)}</span>',
        f"<code>{_e(finding['ruleId'])}</code>",
        _e(label),
        f"<code>{_e(source)}</code>" if source else "",
        _e(finding["message"]),
    )


def _qualified(resource: Mapping[str, Any]) -> str:
    name = resource.get("name") or ""
    return f"{resource['namespace']}/{name}" if resource.get("namespace") else name


def _exceptions(exceptions: Sequence[Mapping[str, Any]]) -> str:
    rows = (
        _cells(
            f"<code>{_e(x['policy'])}</code>",
            _e(", ".join(x["environments"])),
            _e(", ".join(x["resources"])),
            _e(x["owner"]),
            _e(x["reason"]),
            _e(x["expires"]),
            _e(x["daysToExpiry"]),
            _exception_state(x["status"]),
            numeric=(6,),
        )
        for x in exceptions
    )
    headers = ["Policy", "Environments", "Resources", "Owner", "Reason", "Expires", "Days", "State"]
    return _table(headers, rows, table_id="exceptions", empty="No exceptions")


def _exception_state(state: str) -> str:
    css = {"expired": "fail", "expiring": "warn", "invalid": "fail"}.get(state, "pass")
    return f'<span class="{css}">{_e(state)}</span>'


def _secrets(document: Mapping[str, Any]) -> str:
    rows = [
        _cells(
            _e(env["name"]),
            _status(env["secrets"]["status"]),
            _e(env["secrets"]["findings"]["error"]),
            _e(env["secrets"]["findings"]["warning"]),
            _e(", ".join(f"{k}: {v}" for k, v in env["secrets"]["byRule"].items())),
            numeric=(2, 3),
        )
        for env in document["environments"]
    ]
    overall = document["secrets"]
    rows.append(
        _cells(
            "<b>all (incl. repository files)</b>",
            _status(overall["status"]),
            _e(overall["findings"]["error"]),
            _e(overall["findings"]["warning"]),
            _e(", ".join(overall["files"])),
            numeric=(2, 3),
        )
    )
    headers = ["Environment", "Status", "Errors", "Warnings", "Rules / files"]
    return _table(headers, rows, table_id="secrets")
