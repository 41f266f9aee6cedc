"""GitHub workflow commands: escaping, file:line placement and the job summary."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from report_helpers import privileged, sample_report, sops_file

from validator.model import Category, Finding, Severity, SourceLocation
from validator.outcome import ValidationReport
from validator.report import WRITERS
from validator.report.github_writer import annotation, escape_data, escape_property


def annotations(report: ValidationReport) -> list[str]:
    stream = io.StringIO()
    WRITERS["github"](report, stream, False)
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("gitops-validator ")  # the closing count line, in the log
    return [line for line in lines if line.startswith("::")]


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_annotation_lands_on_the_source_file_and_line() -> None:
    line = annotation(privileged("prod"))
    assert line.startswith(
        "::error file=overlays/prod/patch-web.yaml,line=14,col=11,"
        "title=disallow-privileged-containers (prod)::"
    )
    assert "Privileged mode is disallowed." in line


def test_hostile_values_cannot_break_out_of_the_command() -> None:
    finding = Finding(
        rule_id="odd:rule,id",
        category=Category.POLICY,
        severity=Severity.WARNING,
        message="line one\n::error::forged\r\n100%",
        location=SourceLocation("dir,with:comma/file.yaml", 3, 2),
    )
    line = annotation(finding)
    assert "\n" not in line
    assert "\r" not in line
    assert line.startswith("::warning file=dir%2Cwith%3Acomma/file.yaml,line=3,col=2,")
    assert "title=odd%3Arule%2Cid::" in line
    assert line.endswith("line one%0A::error::forged%0D%0A100%25")


def test_errors_come_first_and_info_is_a_notice() -> None:
    info = Finding("exception-unused", Category.EXCEPTION, Severity.INFO, "matches nothing")
    report = ValidationReport((), (sops_file(), info, privileged("prod")))
    lines = annotations(report)
    assert [line.split(" ", 1)[0].split("::")[1] for line in lines] == [
        "error",
        "warning",
        "notice",
    ]
    assert lines[2] == "::notice title=exception-unused::matches nothing"


def test_job_summary_is_appended_to_github_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    lines = annotations(sample_report())
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "| prod | 3 | 2 | 2 | 0 |" in text
    # latest_tag in dev and prod sits on one base line: one annotation for both.
    assert len(lines) == len(sample_report().findings) - 1


def test_no_summary_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    annotations(sample_report())
    assert list(tmp_path.iterdir()) == []


def test_one_annotation_per_defect_naming_its_environments_and_a_closing_count() -> None:
    report = ValidationReport((), (privileged("dev", line=14), privileged("prod", line=14)))
    report = dataclasses.replace(
        report,
        findings=tuple(
            dataclasses.replace(f, location=SourceLocation("overlays/base/web.yaml", 14, 11))
            for f in report.findings
        ),
    )
    stream = io.StringIO()
    WRITERS["github"](report, stream, False)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "title=disallow-privileged-containers (dev%2C prod)" in lines[0]
    assert lines[1] == (
        "gitops-validator failed: 1 finding (2 error, 0 warning, 0 info "
        "across 0 environments; fail on error)"
    )
