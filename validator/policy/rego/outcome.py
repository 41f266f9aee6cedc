"""What the Rego-based families (conftest, Gatekeeper) hand the policy engine."""

from __future__ import annotations

from dataclasses import dataclass

from validator.model import Finding, Resource


@dataclass(frozen=True, slots=True)
class Outcome:
    """One object's findings (or, with `resource` None, an environment-wide input's)."""

    resource: Resource | None
    findings: tuple[Finding, ...]
