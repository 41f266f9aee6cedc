"""Report writers: one function per output format, looked up by name."""

from collections.abc import Callable
from typing import TextIO

from validator.model import ValidationReport
from validator.report.json_writer import report_document, write_json
from validator.report.manifests import manifest_stream, masked
from validator.report.text_writer import write_text

Writer = Callable[[ValidationReport, TextIO, bool], None]
WRITERS: dict[str, Writer] = {"text": write_text, "json": write_json}

__all__ = ["WRITERS", "Writer", "manifest_stream", "masked", "report_document"]
