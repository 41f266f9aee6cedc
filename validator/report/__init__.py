"""Report writers: one function per output format, looked up by name."""

from collections.abc import Callable
from typing import TextIO

from validator.outcome import ValidationReport
from validator.report.compliance import load_previous
from validator.report.compliance_report import write_compliance_report
from validator.report.github_writer import write_github
from validator.report.json_writer import report_document, write_json
from validator.report.junit_writer import write_junit
from validator.report.manifests import manifest_stream, masked
from validator.report.markdown_writer import markdown_diff_section, write_markdown
from validator.report.sarif_writer import write_sarif
from validator.report.text_writer import write_text

Writer = Callable[[ValidationReport, TextIO, bool], None]
WRITERS: dict[str, Writer] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "junit": write_junit,
    "github": write_github,
    "markdown": write_markdown,
}

__all__ = [
    "WRITERS",
    "Writer",
    "load_previous",
    "manifest_stream",
    "markdown_diff_section",
    "masked",
    "report_document",
    "write_compliance_report",
    "write_markdown",
]
