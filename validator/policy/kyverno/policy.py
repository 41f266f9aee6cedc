"""kyverno.io ClusterPolicy / Policy documents: rules, what runs, what is skipped, problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from validator.model import Severity
from validator.policy.families import Document, Problem
from validator.policy.kyverno.autogen import autogen_rules

KINDS = ("ClusterPolicy", "Policy")
SKIPPED_TYPES = ("mutate", "generate", "verifyImages")
_VALIDATE_HANDLERS = ("pattern", "anyPattern", "deny", "foreach", "cel")
_UNSUPPORTED_VALIDATE = ("manifests", "assert", "podSecurity")
_CONTEXT_KINDS = ("variable", "configMap", "apiCall", "imageRegistry", "globalReference")


@dataclass(frozen=True, slots=True)
class KyvernoRule:
    name: str
    raw: Mapping[str, Any]
    failure_action: str  # Enforce | Audit
    generated: bool = False
    offline_gaps: tuple[str, ...] = ()  # context entries only a test's values can supply

    @property
    def validate(self) -> Mapping[str, Any]:
        value = self.raw.get("validate")
        return value if isinstance(value, Mapping) else {}

    @property
    def severity(self) -> Severity:
        return Severity.ERROR if self.failure_action == "Enforce" else Severity.WARNING


@dataclass(slots=True)
class KyvernoPolicy:
    name: str  # `namespace/name` for a namespaced Policy, as Kyverno tests name it
    kind: str
    namespace: str | None
    source: str
    line: int
    annotations: Mapping[str, Any]
    rules: list[KyvernoRule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exceptions: list[Mapping[str, Any]] = field(default_factory=list)  # PolicyExceptions
    family: str = "kyverno"
    engine: Any = None  # set by the family: evaluates this policy

    def describe(self) -> Mapping[str, str]:
        severities = {r.failure_action for r in self.rules}
        return {
            "title": str(self.annotations.get("policies.kyverno.io/title") or self.name),
            "category": str(self.annotations.get("policies.kyverno.io/category") or "kyverno"),
            "severity": "error" if "Enforce" in severities else "warning",
            "profile": "kyverno",
            "description": str(self.annotations.get("policies.kyverno.io/description") or ""),
        }


def _action(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).lower()
    return {"enforce": "Enforce", "audit": "Audit"}.get(text, "Invalid")


def _rule_problems(rule: Mapping[str, Any], where: str) -> list[str]:
    validate = rule.get("validate")
    if isinstance(validate, Mapping):
        unsupported = [k for k in _UNSUPPORTED_VALIDATE if validate.get(k) is not None]
        if unsupported:
            return [f"{where}: validate.{unsupported[0]} is not supported offline"]
        if not any(validate.get(k) is not None for k in _VALIDATE_HANDLERS):
            return [f"{where}: validate has no pattern, anyPattern, deny, foreach or cel"]
    return []


def context_gaps(entries: Any, where: str) -> list[tuple[str, str]]:
    """(entry name, problem) for context entries that cannot be loaded offline."""
    problems: list[tuple[str, str]] = []
    for entry in entries or []:
        if not isinstance(entry, Mapping) or not entry.get("name"):
            problems.append(("", f"{where}: every context entry needs a name"))
            continue
        name = str(entry["name"])
        kind = next((k for k in _CONTEXT_KINDS if k in entry), None)
        if kind is None:
            problems.append((name, f"{where}: context entry {name!r} has an unknown type"))
        elif kind in ("imageRegistry", "globalReference"):
            problems.append(
                (
                    name,
                    f"{where}: context entry {name!r} ({kind}) needs a live "
                    "cluster or registry: not available offline",
                )
            )
        elif kind == "apiCall" and (entry["apiCall"] or {}).get("service"):
            problems.append(
                (
                    name,
                    f"{where}: context entry {name!r} calls a service "
                    "(apiCall.service): not available offline",
                )
            )
    return problems


def _all_context(raw: Mapping[str, Any]) -> list[Any]:
    """The rule's context entries and those of its foreach blocks, at any depth."""
    entries = list(raw.get("context") or [])
    stack = list((raw.get("validate") or {}).get("foreach") or [])
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            entries.extend(item.get("context") or [])
            stack.extend(item.get("foreach") or [])
    return entries


def parse_policy(document: Document) -> KyvernoPolicy:
    body = document.body
    raw_metadata = body.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
    name = str(metadata.get("name") or "")
    kind = str(body.get("kind"))
    namespace = str(metadata.get("namespace") or "default") if kind == "Policy" else None
    policy = KyvernoPolicy(
        name=f"{namespace}/{name}" if namespace else name,
        kind=kind,
        namespace=namespace,
        source=document.source,
        line=document.line,
        annotations=dict(metadata.get("annotations") or {}),
    )
    spec = body.get("spec")
    where = f"{kind} {policy.name!r}"
    if not name or not isinstance(spec, Mapping):
        policy.problems.append(
            Problem(document.source, document.line, f"{where}: needs metadata.name and spec", name)
        )
        return policy
    default_action = _action(spec.get("validationFailureAction")) or "Audit"
    raw_rules = [r for r in spec.get("rules") or [] if isinstance(r, Mapping)]
    if not raw_rules:
        policy.problems.append(
            Problem(document.source, document.line, f"{where}: has no rules", policy.name)
        )
    for raw, generated in [
        *((r, False) for r in raw_rules),
        *((r, True) for r in autogen_rules(policy.annotations, raw_rules)),
    ]:
        _add_rule(policy, raw, generated, default_action, document, where)
    return policy


def _add_rule(
    policy: KyvernoPolicy,
    raw: Mapping[str, Any],
    generated: bool,
    default_action: str,
    document: Document,
    where: str,
) -> None:
    rule_name = str(raw.get("name") or "")
    rule_where = f"{where} rule {rule_name!r}"
    types = [t for t in SKIPPED_TYPES if raw.get(t)]
    if types and not raw.get("validate"):
        if not generated:
            policy.skipped.append(f"{rule_name} ({types[0]} rule: not a validation)")
        return
    if not isinstance(raw.get("validate"), Mapping):
        if not generated:
            policy.problems.append(
                Problem(
                    document.source,
                    document.line,
                    f"{rule_where}: no validate, mutate, generate or verifyImages",
                    policy.name,
                )
            )
        return
    validate = raw["validate"]
    action = _action(validate.get("failureAction")) or default_action
    if action == "Invalid":
        policy.problems.append(
            Problem(
                document.source, document.line, f"{rule_where}: unknown failureAction", policy.name
            )
        )
        action = "Enforce"
    problems = _rule_problems(raw, rule_where)
    if problems:
        if not generated:
            policy.problems.extend(
                Problem(document.source, document.line, p, policy.name) for p in problems
            )
            policy.skipped.append(f"{rule_name} (cannot run offline)")
        return
    gaps = context_gaps(_all_context(raw), rule_where)
    if not generated:
        policy.problems.extend(
            Problem(document.source, document.line, p, policy.name) for _, p in gaps
        )
    names = tuple(n for n, _ in gaps if n)
    policy.rules.append(KyvernoRule(rule_name, raw, action, generated, names))
