"""Short descriptions of findings shared by the report formats."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from validator.model import Finding, ResourceRef


def resource_label(ref: ResourceRef | None) -> str:
    if ref is None:
        return ""
    return f"{ref.kind} {ref.namespace}/{ref.name}" if ref.namespace else f"{ref.kind} {ref.name}"


def where(finding: Finding) -> str:
    """`file:line:column` of the source a person edits, or '' when unknown."""
    loc = finding.location
    return f"{loc.file}:{loc.line}:{loc.column}" if loc else ""


def one_line(text: str) -> str:
    return " ".join(text.split())


def message_with_context(finding: Finding) -> str:
    """The message first (tools title alerts with its first sentence), then what it is about."""
    context = []
    if finding.environment:
        context.append(f"environment {finding.environment}")
    if finding.resource:
        context.append(resource_label(finding.resource))
    if finding.path:
        context.append(f"at {finding.path}")
    text = finding.message.strip() or finding.rule_id
    return f"{text} ({', '.join(context)})" if context else text


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One defect as a person fixes it: the same finding, at the same source place, reported
    by several environments (a base file every overlay reads) is shown once with their names."""

    finding: Finding
    environments: tuple[str, ...]
    findings: tuple[Finding, ...]  # the finding of each environment, `finding` first

    @property
    def fingerprint(self) -> str:
        """Stable across line moves and across which environments were validated."""
        finding = self.finding
        if len(self.findings) == 1:
            return finding.fingerprint
        parts = [repr(part) for part in _same_defect(finding) if part != finding.location]
        parts.append(finding.location.file if finding.location else "")
        return "sha256:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _same_defect(finding: Finding) -> tuple[object, ...]:
    """What must match for two findings to be the same edit: rule, severity, place and text.

    The resource's namespace is left out: overlays often put the same base object into a
    different namespace per environment, yet the fix is one edit of the base file.
    """
    resource = finding.resource
    return (
        finding.rule_id,
        finding.severity,
        finding.message,
        finding.path,
        finding.location,
        (resource.api_version, resource.kind, resource.name) if resource else None,
    )


def occurrences(findings: Iterable[Finding]) -> list[Occurrence]:
    """Findings grouped into defects, in first-seen order; a finding without a source location
    is never merged (without a place, two environments' findings may be different defects)."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for index, finding in enumerate(findings):
        key = _same_defect(finding) if finding.location else (index,)
        groups.setdefault(key, []).append(finding)
    return [
        Occurrence(group[0], tuple(f.environment for f in group if f.environment), tuple(group))
        for group in groups.values()
    ]
