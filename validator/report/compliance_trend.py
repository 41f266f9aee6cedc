"""The compliance report's view over time: the trend against the previous report and the
history of summaries every report carries forward (for the trend chart)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validator.model import Severity

HISTORY_POINTS = 52  # a year of weekly reports in the trend chart


def history(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[Any]:
    """The summary of every earlier report (carried from report to report) and this one."""
    earlier = [p for p in (previous or {}).get("history") or [] if isinstance(p, dict)]
    if previous is not None and not earlier and isinstance(previous.get("summary"), dict):
        earlier = [_point(previous)]  # a report written before reports carried a history
    return [*earlier, _point(current)][-HISTORY_POINTS:]


def _point(document: Mapping[str, Any]) -> dict[str, Any]:
    summary = document.get("summary") or {}
    findings = summary.get("findings") or {}
    return {
        "generatedAt": document.get("generatedAt"),
        "passRate": summary.get("passRate"),
        "errors": findings.get("error"),
        "warnings": findings.get("warning"),
    }


def trend(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    before = previous.get("summary") or {}
    now_counts, old_counts = current["summary"]["findings"], before.get("findings") or {}
    old_prints = set(previous.get("fingerprints") or [])
    new_prints = set(current["fingerprints"])
    old_envs = {e.get("name"): e for e in previous.get("environments") or [] if isinstance(e, dict)}
    return {
        "previousGeneratedAt": previous.get("generatedAt"),
        "passRate": _delta(before.get("passRate"), current["summary"]["passRate"]),
        "findings": {
            s.value: _delta(old_counts.get(s.value), now_counts[s.value]) for s in Severity
        },
        "newFindings": len(new_prints - old_prints),
        "resolvedFindings": len(old_prints - new_prints),
        "environments": {
            e["name"]: _delta((old_envs.get(e["name"]) or {}).get("passRate"), e["passRate"])
            for e in current["environments"]
        },
    }


def _delta(before: Any, after: float | int | None) -> dict[str, Any]:
    numeric = isinstance(before, int | float) and not isinstance(before, bool)
    change = round(after - before, 4) if numeric and after is not None else None
    return {"previous": before if numeric else None, "current": after, "delta": change}
