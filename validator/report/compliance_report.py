"""Write the compliance report files: report.json, report.html, report.md, policyreport-*.yaml."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml_rs

from validator.atomic import write_atomic
from validator.model import UsageError
from validator.outcome import ValidationReport
from validator.report.compliance import compliance_document
from validator.report.compliance_html import render_html
from validator.report.compliance_md import render_markdown
from validator.report.openreports import policy_report, report_name


def write_compliance_report(
    report: ValidationReport,
    out_dir: Path,
    *,
    previous: Mapping[str, Any] | None = None,
    exceptions: Sequence[Mapping[str, Any]] = (),
    now: datetime.datetime | None = None,
    controls: Iterable[str] = (),
) -> list[Path]:
    """Write every file into `out_dir` (created if needed) and return their paths."""
    moment = now or datetime.datetime.now(datetime.UTC)
    known = sorted(set(controls))
    document = compliance_document(
        report, previous=previous, exceptions=exceptions, now=moment, controls=known
    )
    files = {
        "report.json": json.dumps(document, indent=2) + "\n",
        "report.html": render_html(document),
        "report.md": render_markdown(document),
        # The directory ignores itself: a report written inside a repository is never
        # committed by accident (like pytest's and ruff's cache directories).
        ".gitignore": "# written by gitops-validator report\n*\n",
    }
    control_ids = [c["id"] for c in document["controls"]]
    categories = {c["id"]: c["category"] for c in document["controls"]}
    for env in report.environments:
        findings = [f for f in report.findings if f.environment == env.name]
        body = policy_report(env, findings, control_ids, categories, moment)
        name = report_name(env.name).removeprefix("gitops-validator-")
        files[f"policyreport-{name}.yaml"] = str(yaml_rs.dumps(body))
    return [_write(out_dir / name, text) for name, text in files.items()]


def _write(path: Path, text: str) -> Path:
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    return path
