"""The compliance report: report.json/html/md and an OpenReports Report per environment."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from report_helpers import sample_report

from validator.model import ValidatorError
from validator.report import load_previous, write_compliance_report
from validator.report.rules import RESOURCE_CONTROLS

NOW = datetime.datetime(2026, 3, 1, 6, 17, tzinfo=datetime.UTC)
EXCEPTIONS = [
    {
        "policy": "disallow-latest-tag",
        "environments": ["dev"],
        "resources": [{"kind": "Deployment", "name": "web"}],
        "reason": "vendor image has no tags",
        "owner": "team-web",
        "expires": "2026-03-11",
    },
    {
        "policy": "disallow-privileged-containers",
        "environments": ["*"],
        "resources": [{"kind": "DaemonSet"}],
        "reason": "node agent",
        "owner": "team-platform",
        "expires": datetime.date(2026, 2, 1),
    },
]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    target = tmp_path / "compliance"
    write_compliance_report(
        sample_report(),
        target,
        exceptions=EXCEPTIONS,
        now=NOW,
        controls=["require-probes"],
    )
    return target


def document(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((out / "report.json").read_text())
    return loaded


def test_all_files_are_written(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == [
        ".gitignore",
        "policyreport-dev.yaml",
        "policyreport-prod.yaml",
        "report.html",
        "report.json",
        "report.md",
    ]


def test_pass_rate_per_environment_and_control(out: Path) -> None:
    doc = document(out)
    prod = next(e for e in doc["environments"] if e["name"] == "prod")
    controls = {c["id"]: c for c in prod["controls"]}
    assert controls["disallow-latest-tag"] == {
        "id": "disallow-latest-tag",
        "category": "policy",
        "checked": 3,
        "failing": 2,
        "passRate": 0.333333,
        "findings": 2,
        "severity": "warning",
        "status": "warn",
    }
    assert controls["require-probes"]["passRate"] == 1.0  # known, evaluated, clean
    assert controls["secret-plaintext"]["status"] == "fail"
    assert prod["passRate"] == 0.0  # all three prod resources have a finding
    assert doc["summary"]["passRate"] == round(2 / 6, 6)
    assert doc["summary"]["findings"] == {"error": 2, "warning": 4, "info": 0}
    assert [f["ruleId"] for f in doc["repositoryFindings"]] == ["sops-unencrypted-value"]


def test_exceptions_have_owner_and_days_to_expiry(out: Path) -> None:
    doc = document(out)
    by_policy = {x["policy"]: x for x in doc["exceptions"]}
    assert by_policy["disallow-latest-tag"]["owner"] == "team-web"
    assert by_policy["disallow-latest-tag"]["daysToExpiry"] == 10
    assert by_policy["disallow-latest-tag"]["status"] == "expiring"
    assert by_policy["disallow-privileged-containers"]["daysToExpiry"] == -28
    assert by_policy["disallow-privileged-containers"]["status"] == "expired"
    dev = next(e for e in doc["environments"] if e["name"] == "dev")
    assert {x["policy"] for x in dev["exceptions"]} == set(by_policy)
    prod = next(e for e in doc["environments"] if e["name"] == "prod")
    assert {x["policy"] for x in prod["exceptions"]} == {"disallow-privileged-containers"}


def test_secrets_hygiene_summary(out: Path) -> None:
    doc = document(out)
    assert doc["secrets"]["status"] == "fail"
    assert doc["secrets"]["files"] == ["overlays/base/secret.yaml", "secrets/prod/db.yaml"]
    prod = next(e for e in doc["environments"] if e["name"] == "prod")
    assert prod["secrets"]["byRule"] == {"secret-plaintext": 1}


def test_trend_against_the_previous_report(out: Path, tmp_path: Path) -> None:
    previous = load_previous(out / "report.json")
    previous["summary"]["passRate"] = 0.5
    previous["summary"]["findings"]["error"] = 5
    previous["fingerprints"] = [*previous["fingerprints"][1:], "sha256:gone"]
    later = tmp_path / "later"
    write_compliance_report(sample_report(), later, previous=previous, now=NOW)
    trend = document(later)["trend"]
    assert trend["previousGeneratedAt"] == "2026-03-01T06:17:00+00:00"
    assert trend["passRate"] == {"previous": 0.5, "current": 0.333333, "delta": -0.1667}
    assert trend["findings"]["error"] == {"previous": 5, "current": 2, "delta": -3}
    assert (trend["newFindings"], trend["resolvedFindings"]) == (1, 1)
    assert "Trend" in (later / "report.md").read_text()
    assert 'id="trend"' in (later / "report.html").read_text()


def test_previous_must_be_a_compliance_report(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"schemaVersion": 1, "findings": []}')
    with pytest.raises(ValidatorError, match="not a gitops-validator compliance report"):
        load_previous(bogus)
    bogus.write_text("{not json")
    with pytest.raises(ValidatorError, match="cannot read previous report"):
        load_previous(bogus)


def test_html_is_self_contained(out: Path) -> None:
    html = (out / "report.html").read_text()
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html
    assert '<table id="findings">' in html
    assert html.count("<tr>") > 10


def test_markdown_report_lists_controls_and_findings(out: Path) -> None:
    text = (out / "report.md").read_text()
    assert "## Controls: prod" in text
    assert "| `disallow-latest-tag` | policy | 33.3% | 2 / 3 | 2 | warn |" in text
    assert "team-web" in text


def test_openreports_report_per_environment(out: Path) -> None:
    report = yaml_rs.loads((out / "policyreport-prod.yaml").read_text())
    assert report["apiVersion"] == "openreports.io/v1alpha1"
    assert report["kind"] == "Report"
    assert report["metadata"]["name"] == "gitops-validator-prod"
    outcomes = [r["result"] for r in report["results"]]
    assert report["summary"] == {
        "pass": outcomes.count("pass"),
        "fail": outcomes.count("fail"),
        "warn": outcomes.count("warn"),
        "error": 0,
        "skip": 0,
    }
    assert report["summary"]["fail"] == 2
    failing = next(r for r in report["results"] if r["policy"] == "secret-plaintext")
    assert failing["resources"] == [
        {"apiVersion": "v1", "kind": "Secret", "name": "db", "namespace": "shop"}
    ]
    assert failing["severity"] == "high"
    assert all(
        isinstance(v, str) for r in report["results"] for v in r.get("properties", {}).values()
    )
    passes = {r["policy"] for r in report["results"] if r["result"] == "pass"}
    clean_tool_checks = set(RESOURCE_CONTROLS) - {"secret-plaintext"}
    assert passes == {"require-probes", "sops-unencrypted-value", *clean_tool_checks}


def test_controls_summed_over_environments(out: Path) -> None:
    controls = {c["id"]: c for c in document(out)["controls"]}
    latest = controls["disallow-latest-tag"]
    assert (latest["checked"], latest["failing"], latest["passRate"]) == (6, 3, 0.5)
    assert controls["schema-invalid"]["category"] == "schema"
    assert controls["schema-invalid"]["passRate"] == 1.0


def test_html_opens_on_what_needs_action_and_collapses_the_passing_detail(out: Path) -> None:
    html = (out / "report.html").read_text()
    verdict, action = html.index('id="verdict"'), html.index('id="action"')
    findings, details = html.index('<table id="findings">'), html.index("<details")
    assert verdict < action < findings < details
    assert "✗ Not compliant" in html
    failing = html[html.index('<table id="failing-controls">') :]
    failing = failing[: failing.index("</table>")]
    assert "disallow-privileged-containers" in failing
    assert "require-probes" not in failing  # passing controls are in the collapsed detail
    assert "<details open><summary><h2>Environments" in html  # something failed there
    assert "<details><summary><h2>Exceptions" in html


def test_a_control_that_failed_once_is_never_shown_as_100_percent() -> None:
    from validator.report.compliance import percent

    assert percent(2999 / 3000) == "99.9%"
    assert percent(1.0) == "100.0%"
    assert percent(None) == "n/a"


def test_trend_chart_over_the_reports_history(out: Path, tmp_path: Path) -> None:
    first = load_previous(out / "report.json")
    assert 'id="trend-chart"' not in (out / "report.html").read_text()  # one point: no trend
    second_dir, third_dir = tmp_path / "second", tmp_path / "third"
    write_compliance_report(sample_report(), second_dir, previous=first, now=NOW)
    second = load_previous(second_dir / "report.json")
    write_compliance_report(sample_report(), third_dir, previous=second, now=NOW)
    third = document(third_dir)
    assert len(third["history"]) == 3
    html = (third_dir / "report.html").read_text()
    assert html.count("<rect ") == 3 and "<polyline" in html


def test_the_report_directory_ignores_itself(out: Path) -> None:
    assert (out / ".gitignore").read_text().splitlines()[-1] == "*"
