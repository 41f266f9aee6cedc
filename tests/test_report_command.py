"""`report`: the scheduled compliance report, written whatever it finds."""

from __future__ import annotations

import json
from pathlib import Path

from support import RunCli, three_environments


def test_report_writes_every_file_and_a_trend(demo_repo: Path, run_cli: RunCli, tmp_path) -> None:
    first = tmp_path / "week1"
    result = run_cli("report", "--output", str(first), cwd=demo_repo)
    assert result.code == 0, result.stderr
    names = sorted(p.name for p in first.iterdir())
    assert names == [
        ".gitignore",
        "policyreport-dev.yaml",
        "policyreport-prod.yaml",
        "policyreport-staging.yaml",
        "policyreport-status-prod.yaml",
        "report.html",
        "report.json",
        "report.md",
    ]
    document = json.loads((first / "report.json").read_text())
    controls = {control["id"] for control in document["controls"]}
    assert "disallow-privileged-containers" in controls  # the baseline profile's controls
    second = tmp_path / "week2"
    again = run_cli(
        "report", "--output", str(second), "--previous", str(first / "report.json"), cwd=demo_repo
    )
    assert again.code == 0, again.stderr
    assert json.loads((second / "report.json").read_text()).get("trend") is not None


def test_report_with_findings_still_exits_0(make_repo, run_cli: RunCli, tmp_path) -> None:
    repo = make_repo(three_environments(broken="dev"))
    result = run_cli("report", "--output", str(tmp_path / "out"), cwd=repo)
    assert result.code == 0, result.stderr
    assert "1 errors" in result.stdout


def test_unreadable_previous_report_is_a_usage_error(demo_repo, run_cli: RunCli, tmp_path) -> None:
    bogus = tmp_path / "previous.json"
    bogus.write_text("[]")
    result = run_cli(
        "report", "--output", str(tmp_path / "o"), "--previous", str(bogus), cwd=demo_repo
    )
    assert result.code == 2
    assert "is not a gitops-validator compliance report.json" in result.stderr
