"""Gatekeeper over an environment: templates and constraints from the policy paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.model import (
    Category,
    Finding,
    RenderedEnvironment,
    Resource,
    Severity,
    SourceLocation,
)
from validator.policy.context import redact, secret_values
from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.constraint import Constraint, is_constraint, parse_constraint
from validator.policy.gatekeeper.rego_driver import inventory
from validator.policy.gatekeeper.review import Request, Result, Reviewer
from validator.policy.gatekeeper.template import Template, is_template, parse_template
from validator.policy.rego.outcome import Outcome

FAMILY = "gatekeeper"
CONFIG_API = "config.gatekeeper.sh/"


@dataclass(slots=True)
class GatekeeperSet:
    templates: list[Template] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    excluded_namespaces: list[str] = field(default_factory=list)  # from Config objects

    def __bool__(self) -> bool:
        return bool(self.templates or self.constraints)


def claims(body: Mapping[str, Any]) -> bool:
    api = str(body.get("apiVersion") or "")
    return is_template(body) or is_constraint(body) or api.startswith(CONFIG_API)


def load_gatekeeper(documents: Iterable[tuple[Mapping[str, Any], str]]) -> GatekeeperSet:
    """Templates first, then constraints of their kinds; a constraint without one is an error."""
    docs = list(documents)
    result = GatekeeperSet()
    result.templates = [parse_template(body, source) for body, source in docs if is_template(body)]
    by_kind: dict[str, Template] = {}
    for template in result.templates:
        if template.kind in by_kind:
            raise PolicyError(
                f"{template.source}: ConstraintTemplate for kind {template.kind!r} is defined "
                f"twice (also in {by_kind[template.kind].source})"
            )
        by_kind[template.kind] = template
    for body, source in docs:
        if is_constraint(body):
            kind = str(body.get("kind"))
            if kind not in by_kind:
                raise PolicyError(f"{source}: constraint kind {kind!r} has no ConstraintTemplate")
            result.constraints.append(parse_constraint(body, by_kind[kind], source))
        elif str(body.get("apiVersion") or "").startswith(CONFIG_API):
            result.excluded_namespaces.extend(_config_exclusions(body))
    return result


def _config_exclusions(body: Mapping[str, Any]) -> list[str]:
    """Config spec.match entries that exempt namespaces from admission/audit processes."""
    out: list[str] = []
    for entry in (body.get("spec") or {}).get("match") or []:
        processes = {str(p) for p in entry.get("processes") or []}
        if processes & {"*", "webhook", "audit"}:
            out.extend(str(n) for n in entry.get("excludedNamespaces") or [])
    return out


def namespace_labels(bodies: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Labels of the Namespaces an environment renders (what namespaceSelector can see)."""
    out: dict[str, Mapping[str, Any]] = {}
    for body in bodies:
        if body.get("kind") == "Namespace" and body.get("apiVersion") == "v1":
            metadata = body.get("metadata") or {}
            name = str(metadata.get("name") or "")
            labels = dict(metadata.get("labels") or {})
            labels.setdefault("kubernetes.io/metadata.name", name)
            out[name] = labels
    return out


class GatekeeperFamily:
    def __init__(
        self,
        policies: GatekeeperSet,
        *,
        excluded_namespaces: Sequence[str] = (),
        prefer_rego: bool = False,
    ) -> None:
        self.policies = policies
        excluded = [*excluded_namespaces, *policies.excluded_namespaces]
        self.reviewer = Reviewer(
            policies.templates,
            policies.constraints,
            excluded_namespaces=excluded,
            prefer_rego=prefer_rego,
        )
        self._prepared: tuple[int, dict[str, Any], dict[str, Mapping[str, Any]]] | None = None

    def listing(self) -> list[tuple[str, str, str]]:
        templates = {t.kind: t for t in self.policies.templates}
        return [
            (
                f"{templates[c.kind].name}/{c.name}",
                c.severity.value,
                "gatekeeper: "
                + templates[c.kind].annotations.get("metadata.gatekeeper.sh/title", c.kind),
            )
            for c in self.policies.constraints
        ]

    def _environment(self, env: RenderedEnvironment) -> tuple[int, dict[str, Any], Any]:
        if self._prepared is None or self._prepared[0] != id(env):
            bodies = [r.body for r in env.resources]
            namespaces = namespace_labels(bodies)
            # A namespace the environment does not render still exists in the cluster with its
            # name label (as the CEL policies see it); gator suites know only their inventory.
            for body in bodies:
                name = str((body.get("metadata") or {}).get("namespace") or "")
                if name and name not in namespaces:
                    namespaces[name] = {"kubernetes.io/metadata.name": name}
            self._prepared = (id(env), inventory(bodies), namespaces)
        return self._prepared

    def evaluate(
        self, env: RenderedEnvironment, old: Mapping[str, Resource] | None = None
    ) -> list[Outcome]:
        broken = self.reviewer.check_compiles(env.kubernetes_version)
        outcomes = [self.evaluate_object(env, r, old) for r in env.resources]
        notes = [*self._broken(env.name, broken), *self._fallbacks(env.name)]
        if notes:
            outcomes.append(Outcome(None, tuple(notes)))
        return outcomes

    def _fallbacks(self, environment: str) -> list[Finding]:
        """Templates whose CEL could not be compiled here and whose Rego ran instead."""
        return [
            Finding(
                rule_id=template.name,
                category=Category.POLICY,
                family=FAMILY,
                severity=Severity.INFO,
                message=f"ran the template's Rego: its CEL cannot be compiled here ({error})",
                environment=environment,
                location=SourceLocation(template.source, 1),
            )
            for template in self.policies.templates
            if (error := self.reviewer.fallbacks.get(template.name))
        ]

    def _broken(self, environment: str, broken: Mapping[str, str]) -> list[Finding]:
        """A template that cannot run is an error once per constraint, never a silent skip."""
        templates = {t.kind: t for t in self.policies.templates}
        return [
            Finding(
                rule_id=f"{templates[c.kind].name}/{c.name}",
                category=Category.POLICY,
                family=FAMILY,
                severity=Severity.ERROR,
                message=f"policy error: the template cannot run: {broken[c.kind]}",
                environment=environment,
                location=SourceLocation(templates[c.kind].source, 1),
            )
            for c in self.policies.constraints
            if c.kind in broken
        ]

    def evaluate_object(
        self,
        env: RenderedEnvironment,
        resource: Resource,
        old: Mapping[str, Resource] | None = None,
    ) -> Outcome:
        key, inventory_data, namespaces = self._environment(env)
        previous = (old or {}).get(resource.ref.key)
        request = Request(
            body=resource.body,
            old=previous.body if previous else None,
            operation="UPDATE" if previous else "CREATE",
            namespaces=namespaces,
            inventory_key=key,
            inventory=inventory_data,
        )
        results = self.reviewer.review(request, env.kubernetes_version)
        return Outcome(resource, tuple(finding(r, resource) for r in results))


def finding(result: Result, resource: Resource) -> Finding:
    message = redact(result.message, secret_values(resource.body))
    return Finding(
        rule_id=f"{result.template.name}/{result.constraint.name}",
        category=Category.POLICY,
        family=FAMILY,
        severity=result.severity,
        message=message,
        environment=resource.environment,
        resource=resource.ref,
        path=result.path,
    )
