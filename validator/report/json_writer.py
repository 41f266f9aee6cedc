"""The §3.2 JSON document (`schemaVersion: 1`)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from validator import __version__
from validator.model import ValidationReport


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
    json.dump(report_document(report), stream, indent=2)
    stream.write("\n")
