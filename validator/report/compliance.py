"""The scheduled compliance report: per environment and control, pass rates and findings.

`compliance_document` builds `report.json`, the single source every other file is rendered
from. A control is a rule id: every rule that reported something in this run, the tool's checks
that run on every resource (schema, secrets), and the `controls` a caller knows were evaluated
(e.g. the loaded policies), so clean controls show as passing. A control's pass rate is
(resources checked - resources with a finding of that rule) / resources checked, where every
rendered resource of the environment counts as checked; a control whose findings are all about
files (SOPS files, the configuration) has no pass rate.
"""

from __future__ import annotations

import datetime
import fnmatch
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from validator import __version__
from validator.guarded import GuardError, load_json
from validator.model import Category, Finding, RenderedEnvironment, Severity, UsageError
from validator.outcome import ValidationReport
from validator.report.compliance_trend import history, trend
from validator.report.rules import RESOURCE_CONTROLS

KIND = "gitops-validator/compliance-report"
EXPIRING_DAYS = 30  # exceptions expiring within this many days are flagged


def compliance_document(
    report: ValidationReport,
    *,
    previous: Mapping[str, Any] | None = None,
    exceptions: Sequence[Mapping[str, Any]] = (),
    now: datetime.datetime | None = None,
    controls: Iterable[str] = (),
) -> dict[str, Any]:
    moment = now or datetime.datetime.now(datetime.UTC)
    control_ids = sorted({*RESOURCE_CONTROLS, *controls, *(f.rule_id for f in report.findings)})
    categories = {**RESOURCE_CONTROLS, **{f.rule_id: f.category.value for f in report.findings}}
    listed = [_exception(e, moment.date()) for e in exceptions]
    environments = [
        _environment(env, report, control_ids, categories, listed) for env in report.environments
    ]
    loose = [
        f for f in report.findings if f.environment not in {e.name for e in report.environments}
    ]
    checked = sum(e["resources"] for e in environments)
    failing = sum(e["failingResources"] for e in environments)
    document: dict[str, Any] = {
        "schemaVersion": 1,
        "kind": KIND,
        "generatedAt": moment.isoformat(timespec="seconds"),
        "tool": {"name": "gitops-validator", "version": __version__},
        "summary": {
            "passed": report.passed,
            "failOn": report.fail_on,
            "environments": len(environments),
            "resources": checked,
            "controls": len(control_ids),
            "findings": report.counts(),
            "passRate": _rate(checked, failing),
        },
        "controls": _across_environments(control_ids, categories, environments),
        "environments": environments,
        "repositoryFindings": [f.to_json() for f in loose],
        "exceptions": listed,
        "secrets": secrets_hygiene(report.findings),
        "fingerprints": sorted({f.fingerprint for f in report.findings}),
    }
    document["trend"] = trend(document, previous) if previous is not None else None
    document["history"] = history(document, previous)
    return document


def percent(rate: float | None) -> str:
    """A pass rate for people: 100% only when nothing failed (99.97% is shown as 99.9%)."""
    if rate is None:
        return "n/a"
    shown = math.floor(rate * 1000) / 10
    return f"{shown:.1f}%"


def load_previous(path: Path) -> dict[str, Any]:
    """Read a previous `report.json`; anything else is a clear error, not a traceback."""
    try:
        data = load_json(path)  # guarded: size, regular file, UTF-8
    except GuardError as error:
        raise UsageError(f"cannot read previous report {error}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise UsageError(f"{path} is not a gitops-validator compliance report.json")
    return data


def _environment(
    env: RenderedEnvironment,
    report: ValidationReport,
    control_ids: Sequence[str],
    categories: Mapping[str, str],
    exceptions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    findings = [f for f in report.findings if f.environment == env.name]
    resources = len({r.ref.key for r in env.resources})
    failing = {f.resource.key for f in findings if f.resource}
    return {
        "name": env.name,
        "kubernetesVersion": env.kubernetes_version,
        "renderFailed": env.failed,
        "resources": resources,
        "failingResources": len(failing),
        "passRate": _rate(resources, len(failing)),
        "findings": _counts(findings),
        "status": _status(findings),
        "controls": [
            _control(rule, categories.get(rule, "policy"), resources, findings)
            for rule in control_ids
        ],
        "findingList": [f.to_json() for f in _ordered(findings)],
        "exceptions": [e for e in exceptions if _names(e, env.name)],
        "secrets": secrets_hygiene(findings),
    }


def _control(
    rule_id: str, category: str, resources: int, findings: Sequence[Finding]
) -> dict[str, Any]:
    mine = [f for f in findings if f.rule_id == rule_id]
    failing = {f.resource.key for f in mine if f.resource}
    files_only = bool(mine) and not failing
    return {
        "id": rule_id,
        "category": category,
        "checked": resources,
        "failing": len(failing),
        "passRate": None if files_only else _rate(resources, len(failing)),
        "findings": len(mine),
        "severity": _worst(mine),
        "status": _status(mine),
    }


def _across_environments(
    control_ids: Sequence[str],
    categories: Mapping[str, str],
    environments: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Each control summed over the environments (the per-control view of the report)."""
    rows = []
    for rule in control_ids:
        per_env = [c for env in environments for c in env["controls"] if c["id"] == rule]
        checked = sum(c["checked"] for c in per_env)
        failing = sum(c["failing"] for c in per_env)
        files_only = all(c["passRate"] is None for c in per_env if c["findings"]) and any(
            c["findings"] for c in per_env
        )
        statuses = {c["status"] for c in per_env}
        rows.append(
            {
                "id": rule,
                "category": categories.get(rule, "policy"),
                "checked": checked,
                "failing": failing,
                "passRate": None if files_only else _rate(checked, failing),
                "findings": sum(c["findings"] for c in per_env),
                "status": next((s for s in ("fail", "warn") if s in statuses), "pass"),
            }
        )
    return rows


def secrets_hygiene(findings: Iterable[Finding]) -> dict[str, Any]:
    secrets = [f for f in findings if f.category is Category.SECRETS]
    by_rule: dict[str, int] = {}
    for finding in secrets:
        by_rule[finding.rule_id] = by_rule.get(finding.rule_id, 0) + 1
    return {
        "status": _status(secrets),
        "findings": _counts(secrets),
        "byRule": dict(sorted(by_rule.items())),
        "files": sorted({f.location.file for f in secrets if f.location}),
    }


def _exception(raw: Mapping[str, Any], today: datetime.date) -> dict[str, Any]:
    expires = _date(raw.get("expires"))
    days = (expires - today).days if expires else None
    if days is None:
        status = "invalid"
    elif days < 0:
        status = "expired"
    else:
        status = "expiring" if days <= EXPIRING_DAYS else "active"
    environments = raw.get("environments") or ["*"]
    return {
        "policy": str(raw.get("policy", "")),
        "environments": [str(e) for e in environments] if isinstance(environments, list) else [],
        "resources": _resources(raw.get("resources")),
        "owner": str(raw.get("owner", "")),
        "reason": str(raw.get("reason", "")),
        "expires": expires.isoformat() if expires else None,
        "daysToExpiry": days,
        "status": status,
    }


def _resources(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [
        "/".join(str(r.get(k, "*")) for k in ("kind", "namespace", "name"))
        for r in value
        if isinstance(r, Mapping)
    ]


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _names(exception: Mapping[str, Any], env: str) -> bool:
    return any(fnmatch.fnmatchcase(env, pattern) for pattern in exception["environments"])


def _rate(checked: int, failing: int) -> float | None:
    """None when nothing was checked (a failed render is not a 100% pass)."""
    return round((checked - failing) / checked, 6) if checked else None


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for finding in findings:
        counts[finding.severity.value] += 1
    return counts


def _worst(findings: Sequence[Finding]) -> str | None:
    return max(findings, key=lambda f: f.severity.rank).severity.value if findings else None


def _status(findings: Sequence[Finding]) -> str:
    if any(f.severity is Severity.ERROR for f in findings):
        return "fail"
    return "warn" if findings else "pass"


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule_id, f.fingerprint))
