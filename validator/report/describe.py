"""Short descriptions of findings shared by the report formats."""

from __future__ import annotations

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
