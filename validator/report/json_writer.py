"""The §3.2 JSON document (`schemaVersion: 1`)."""

from __future__ import annotations

from typing import Any, TextIO

from validator import __version__
from validator.outcome import ValidationReport
from validator.report.fastjson import dumps_indented


def report_document(report: ValidationReport) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "tool": {"name": "gitops-validator", "version": __version__},
        "summary": {
            "passed": report.passed,
            "environments": len(report.environments),
            "resources": report.resource_count,
            "findings": report.counts(),
        },
        "environments": [
            {
                "name": env.name,
                "resources": len(env.resources),
                "kubernetesVersion": env.kubernetes_version,
            }
            for env in report.environments
        ],
        "findings": [finding.to_json() for finding in report.findings],
    }


def write_json(report: ValidationReport, stream: TextIO, color: bool = False) -> None:
    stream.write(dumps_indented(report_document(report)) + "\n")
