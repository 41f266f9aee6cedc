"""An OpenReports `Report` (openreports.io/v1alpha1) per environment, for cluster dashboards.

The OpenReports API's namespaced kind is `Report` (its older samples said `PolicyReport`). Each
finding is one result (`fail` for errors — scored; `warn` for warnings and info — not scored;
`error` for a render failure, where nothing could be evaluated); each control without a finding
in the environment is one `pass` result scoped to the whole report.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from validator.model import Finding, RenderedEnvironment, Severity

API_VERSION = "openreports.io/v1alpha1"
SOURCE = "gitops-validator"
_SEVERITY = {Severity.ERROR: "high", Severity.WARNING: "medium", Severity.INFO: "info"}
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def report_name(environment: str) -> str:
    """A DNS-1123 name (and file-name-safe) for an environment's report."""
    slug = _NOT_DNS.sub("-", environment.lower()).strip("-") or "environment"
    return f"gitops-validator-{slug}"[:63].rstrip("-")


def policy_report(
    env: RenderedEnvironment,
    findings: Sequence[Finding],
    controls: Sequence[str],
    categories: Mapping[str, str],
    now: datetime.datetime,
) -> dict[str, Any]:
    timestamp = {"seconds": int(now.timestamp()), "nanos": 0}
    results = [_finding_result(f, timestamp) for f in findings]
    failing = {f.rule_id for f in findings}
    results += [
        _pass_result(rule, categories.get(rule, "policy"), len(env.resources), timestamp)
        for rule in controls
        if rule not in failing
    ]
    summary = dict.fromkeys(("pass", "fail", "warn", "error", "skip"), 0)
    for result in results:
        summary[result["result"]] += 1
    return {
        "apiVersion": API_VERSION,
        "kind": "Report",
        "metadata": {
            "name": report_name(env.name),
            "labels": {
                "app.kubernetes.io/managed-by": SOURCE,
                "gitops-validator.io/environment": report_name(env.name).removeprefix(
                    "gitops-validator-"
                ),
            },
            "annotations": {
                "gitops-validator.io/environment": env.name,
                "gitops-validator.io/generated-at": now.isoformat(timespec="seconds"),
                "gitops-validator.io/kubernetes-version": env.kubernetes_version,
            },
        },
        "source": SOURCE,
        "summary": summary,
        "results": results,
    }


def _finding_result(finding: Finding, timestamp: Mapping[str, int]) -> dict[str, Any]:
    if finding.rule_id == "render-failed":
        outcome = "error"
    else:
        outcome = "fail" if finding.severity is Severity.ERROR else "warn"
    properties = {"fingerprint": finding.fingerprint, "severityLevel": finding.severity.value}
    if finding.path:
        properties["path"] = finding.path
    if finding.location:
        properties["file"] = finding.location.file
        properties["line"] = str(finding.location.line)
    result: dict[str, Any] = {
        "source": SOURCE,
        "policy": finding.rule_id,
        "rule": finding.rule_id,
        "category": finding.category.value,
        "severity": _SEVERITY[finding.severity],
        "result": outcome,
        "scored": outcome == "fail",
        "message": finding.message,
        "timestamp": dict(timestamp),
        "properties": properties,
    }
    if finding.resource:
        ref = finding.resource
        subject = {"apiVersion": ref.api_version, "kind": ref.kind, "name": ref.name}
        if ref.namespace:
            subject["namespace"] = ref.namespace
        result["resources"] = [subject]
    return result


def _pass_result(
    rule_id: str, category: str, resources: int, timestamp: Mapping[str, int]
) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "policy": rule_id,
        "rule": rule_id,
        "category": category,
        "result": "pass",
        "scored": True,
        "message": f"all {resources} rendered resources passed",
        "timestamp": dict(timestamp),
    }
