"""Findings as a reviewer reads them: each defect reported once, by the check that knows most.

Two checks can see one defect: the repository scan reads every file and flags a credential on
a line, and the environment scan flags the same value in the rendered object (with its object
and field); a plaintext Secret value is both `secret-plaintext` and, when it looks like a
token, `secret-leak`. The more specific finding is kept and the other dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from validator.model import Finding, ResourceRef

# Rules of the repository-wide scan that the environment scan reports again, with more context.
_ALSO_RENDERED = frozenset({"secret-leak", "secret-plaintext"})


def one_finding_per_defect(findings: Iterable[Finding]) -> list[Finding]:
    findings = list(findings)
    rendered_lines = {  # only the rules a repository finding can repeat
        (f.rule_id, f.location.file, f.location.line)
        for f in findings
        if f.rule_id in _ALSO_RENDERED and f.environment is not None and f.location is not None
    }
    plaintext_fields = {
        (f.environment, f.resource, f.path)
        for f in findings
        if f.rule_id == "secret-plaintext" and f.resource is not None
    }
    kept = [
        f
        for f in findings
        if not _repeats_rendered(f, rendered_lines) and not _repeats_plaintext(f, plaintext_fields)
    ]
    return _one_per_spot(kept)


def _one_per_spot(findings: list[Finding]) -> list[Finding]:
    """Several credential detectors can match one value: one repository finding per spot (the
    first, from the most specific detector) and rule."""
    seen: set[tuple[str, str, int, int]] = set()
    kept = []
    for finding in findings:
        loc = finding.location
        if finding.environment is None and finding.rule_id in _ALSO_RENDERED and loc:
            spot = (finding.rule_id, loc.file, loc.line, loc.column)
            if spot in seen:
                continue
            seen.add(spot)
        kept.append(finding)
    return kept


def _repeats_rendered(finding: Finding, rendered_lines: set[tuple[str, str, int]]) -> bool:
    loc = finding.location
    return (
        finding.environment is None
        and finding.rule_id in _ALSO_RENDERED
        and loc is not None
        and (finding.rule_id, loc.file, loc.line) in rendered_lines
    )


def _repeats_plaintext(
    finding: Finding, plaintext_fields: set[tuple[str | None, ResourceRef, str | None]]
) -> bool:
    return (
        finding.rule_id == "secret-leak"
        and finding.resource is not None
        and (finding.environment, finding.resource, finding.path) in plaintext_fields
    )
