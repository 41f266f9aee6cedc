"""What a validation run returns: the environments, the findings and the verdict that every
report writer and the exit code read, and what the loaded rules check (for the formats that
describe rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from validator.model import Finding, RenderedEnvironment, Severity


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """What a rule (a policy, for the formats that describe rules) checks, in its own words."""

    title: str
    description: str = ""
    category: str = ""
    help_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What `validate` found: the input of every report writer and of the exit code."""

    environments: tuple[RenderedEnvironment, ...]
    findings: tuple[Finding, ...]
    fail_on: str = "error"  # error | warning | never
    # PR mode: fingerprints of findings that already existed at the base revision, whether
    # only new findings block, and a rendered diff (base → head, Secret values masked) per env.
    base_fingerprints: frozenset[str] = frozenset()
    new_only: bool = False
    diffs: Mapping[str, str] = field(default_factory=dict)
    # The checks each environment ran (stage names and the policies in force), the seconds
    # each stage took per environment, and what the rules of loaded policies check.
    checks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timings: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    rule_docs: Mapping[str, RuleDoc] = field(default_factory=dict)
    # Where the repository root sits inside the git checkout ("deploy/" in a monorepo whose
    # config is in deploy/): code scanning and annotations need checkout-relative paths.
    checkout_prefix: str = ""

    def is_new(self, finding: Finding) -> bool:
        return finding.fingerprint not in self.base_fingerprints

    @property
    def resource_count(self) -> int:
        return sum(len(env.resources) for env in self.environments)

    def counts(self) -> dict[str, int]:
        counts = {severity.value: 0 for severity in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts

    @property
    def passed(self) -> bool:
        if self.fail_on == "never":
            return True
        threshold = Severity(self.fail_on).rank
        blocking = (f for f in self.findings if not self.new_only or self.is_new(f))
        return not any(finding.severity.rank >= threshold for finding in blocking)
