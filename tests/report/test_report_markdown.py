"""The PR comment: sticky marker, grouping, already-present findings, diffs and the size cap."""

from __future__ import annotations

import dataclasses
import io

from report_helpers import environment, latest_tag, privileged, sample_report

from validator.outcome import ValidationReport
from validator.report import WRITERS, markdown_diff_section
from validator.report.markdown_writer import COMMENT_LIMIT, escape, markdown_report


def comment(report: ValidationReport) -> str:
    stream = io.StringIO()
    WRITERS["markdown"](report, stream, False)
    return stream.getvalue()


def big_diff(lines: int, width: int = 80) -> str:
    body = "".join(f"+  key-{i:06d}: {'x' * width}\n" for i in range(lines))
    return f"--- base/prod\n+++ head/prod\n@@ -0,0 +1,{lines} @@\n{body}"


def test_marker_verdict_and_summary_table() -> None:
    text = comment(sample_report())
    assert text.splitlines()[0] == "<!-- gitops-validator -->"
    assert "## ❌ gitops-validator failed" in text
    assert "2 errors, 3 warnings, 0 info (fail on: error)" in text  # each defect once
    assert "| dev | 3 | 0 | 1 | 0 |" in text
    assert "| prod | 3 | 2 | 2 | 0 |" in text
    # The latest-tag defect of a base file is one row for dev and prod, before prod's own.
    shared, own = text.index("<b>dev, prod</b>"), text.index("<b>prod</b>")
    assert shared < own < text.index("repository files")


def test_passing_report() -> None:
    report = ValidationReport((environment("dev", ("Deployment", "web")),), ())
    text = comment(report)
    assert "✅ gitops-validator passed" in text
    assert "### Findings" not in text


def test_findings_present_at_the_base_are_shown_apart() -> None:
    old = latest_tag("prod")
    report = ValidationReport(
        (environment("prod"),),
        (privileged("prod"), old),
        base_fingerprints=frozenset({old.fingerprint}),
    )
    text = comment(report)
    assert "### New findings (1)" in text
    assert "### Already present at the base revision (1)" in text
    new_part, old_part = text.split("### Already present")
    assert "disallow-privileged-containers" in new_part
    assert "disallow-latest-tag" in old_part
    assert "| Environment | Resources | Errors | Warnings | Info | New |" in text


def test_table_cells_cannot_be_broken_by_messages() -> None:
    assert escape("a|b <script> `x`\nnext") == "a\\|b &lt;script&gt; \\`x\\` next"
    hostile = dataclasses.replace(privileged("prod"), message="x | y\n## heading <img src=x>")
    text = comment(ValidationReport((environment("prod"),), (hostile,)))
    row = next(line for line in text.splitlines() if "disallow-privileged" in line)
    assert row.count(" | ") == 4  # five cells: the message's pipe is escaped
    assert "<img" not in text


def test_diffs_are_collapsible_and_fenced_safely() -> None:
    diff = "--- base/prod\n+++ head/prod\n@@ -1 +1 @@\n-replicas: 1\n+replicas: 3\n+x: ```\n"
    report = dataclasses.replace(sample_report(), diffs={"prod": diff, "dev": ""})
    text = comment(report)
    assert "<details><summary><b>prod</b> (+2 -1)</summary>" in text
    assert "````diff\n--- base/prod" in text  # longer fence than the diff's own backticks
    assert "<b>dev</b> (" not in text


def test_comment_stays_under_the_limit_and_never_cuts_a_line() -> None:
    diff = big_diff(2_000)
    report = dataclasses.replace(sample_report(), diffs={"prod": diff})
    text = comment(report)
    assert len(diff) > COMMENT_LIMIT
    assert len(text) <= COMMENT_LIMIT
    assert "Truncated to stay under 65,536 characters" in text
    shown = [line for line in text.splitlines() if line.startswith("+  key-")]
    assert shown and all(line + "\n" in diff for line in shown)
    assert text.count("<details") == text.count("</details>")
    assert text.count("```diff") == 1
    assert text.rstrip().count("\n```\n") == 1  # the fence is closed before the note
    assert "disallow-privileged-containers" in text  # findings come before diffs


def test_truncated_findings_are_counted() -> None:
    findings = tuple(latest_tag("prod", f"app-{i:04d}") for i in range(50))
    report = ValidationReport((environment("prod"),), findings)
    text = markdown_report(report, limit=3_000)
    assert len(text) <= 3_000
    rows = [line for line in text.splitlines() if "app-" in line]
    assert f"{50 - len(rows)} findings not shown" in text
    assert text.count("<details") == text.count("</details>")


def test_diff_section_alone_within_a_budget() -> None:
    section = markdown_diff_section({"prod": big_diff(300), "dev": big_diff(10)}, limit=5_000)
    assert len(section) <= 5_000
    assert section.startswith("### Rendered changes")
    assert "diff lines not shown" in section
    assert section.count("<details>") == section.count("</details>")
