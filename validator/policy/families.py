"""Policy families beyond the CEL core (Kyverno ClusterPolicy, Gatekeeper, conftest, ...).

Each family claims the documents it understands, loads them into runnable policies and reports
what it cannot run as a `Problem` (an error finding with file and line, never a silent drop).
The loader, the engine, `policy list` and `policy test` consult `families()`; a new family is
one line there. Families import the core; the core imports them only through this registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from validator.model import Category, Finding, Resource, Severity, SourceLocation


@dataclass(frozen=True, slots=True)
class Document:
    body: Mapping[str, Any]
    source: str  # as shown to people (repository-relative when loaded from the repository)
    line: int = 1  # 1-based line where the document starts


@dataclass(frozen=True, slots=True)
class Problem:
    """A policy document, or part of one, that the tool cannot run offline."""

    source: str
    line: int
    message: str
    policy: str = ""

    def finding(self) -> Finding:
        return Finding(
            rule_id="policy-unsupported",
            category=Category.POLICY,
            severity=Severity.ERROR,
            message=self.message,
            location=SourceLocation(self.source, max(self.line, 1)),
        )

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule of a family policy against one object (pass | fail | error | skip)."""

    rule: str
    result: str
    message: str = ""
    path: str | None = None  # JSON pointer into the object
    severity: Severity = Severity.ERROR


@dataclass(frozen=True, slots=True)
class Scope:
    """What a family policy may read besides the object: the environment around it.

    `extras` carries family-specific test inputs (e.g. Kyverno values files) by family name.
    """

    environment: str
    kubernetes_version: str
    resources: Sequence[Mapping[str, Any]] = ()
    operation: str = "CREATE"
    old_body: Mapping[str, Any] | None = None
    user_info: Mapping[str, Any] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


class FamilyPolicy(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def family(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def skipped(self) -> Sequence[str]:
        """Parts loaded but not run (e.g. mutate rules), as `policy list` shows them."""
        ...

    def describe(self) -> Mapping[str, str]:
        """title, category, severity, profile, description for `policy list`."""
        ...

    def evaluate(self, resource: Resource, scope: Scope) -> list[RuleResult]:
        """Empty when the policy does not apply to the object at all."""
        ...


@dataclass(slots=True)
class Loaded:
    policies: list[FamilyPolicy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    others: list[Mapping[str, Any]] = field(default_factory=list)  # claimed, not policies


class Family(Protocol):
    name: str

    def claims(self, body: Mapping[str, Any]) -> bool: ...

    def load(self, documents: Sequence[Document]) -> Loaded: ...


class TestFormat(Protocol):
    """A test manifest format a family brings to `policy test` (kyverno-test.yaml, gator)."""

    def claims(self, body: Mapping[str, Any]) -> bool: ...

    def run(self, body: Mapping[str, Any], file: Path) -> Any:
        """A list of testing.CaseResult (typed loosely: testing imports this module)."""
        ...


# Documents of these API groups are policy documents: one no family runs is a Problem.
POLICY_GROUPS = (
    "admissionregistration.k8s.io",
    "kyverno.io",
    "policies.kyverno.io",
    "templates.gatekeeper.sh",
    "constraints.gatekeeper.sh",
    "mutations.gatekeeper.sh",
    "expansion.gatekeeper.sh",
)


# Every family's documents are of a group ending so; others never load the registry (whose
# families bring their engines: Rego, JMESPath).
FAMILY_GROUP_SUFFIXES = ("kyverno.io", "gatekeeper.sh")


def may_belong_to_a_family(body: Mapping[str, Any]) -> bool:
    group = str(body.get("apiVersion") or "").rpartition("/")[0]
    return group.endswith(FAMILY_GROUP_SUFFIXES)


def families() -> tuple[Family, ...]:
    # Imported here: the families build on the core modules that import this registry.
    from validator.policy.gatekeeper.registry import GATEKEEPER_DOCUMENTS
    from validator.policy.kyverno.family import KYVERNO

    return (KYVERNO, GATEKEEPER_DOCUMENTS)


def test_formats() -> tuple[TestFormat, ...]:
    from validator.policy.kyverno.testformat import KYVERNO_TESTS

    return (KYVERNO_TESTS,)


def policy_group(body: Mapping[str, Any]) -> str | None:
    group = str(body.get("apiVersion") or "").rpartition("/")[0]
    return group if group in POLICY_GROUPS else None
