"""The Rego-based policy families beside the CEL core: Gatekeeper and conftest.

Both are found in `policies.paths`: ConstraintTemplates and constraints among the YAML files,
conftest modules as `.rego` files. Each family evaluates a whole environment and hands back
findings per object (conftest with `combine` also one environment-wide input); the engine
applies the exceptions file to them like to any other policy finding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from validator.model import Finding, RenderedEnvironment, Resource, ResourceRef, Settings
from validator.policy.exceptions import ExceptionSet, without_containers
from validator.policy.loader import read_yaml_documents, yaml_files

if TYPE_CHECKING:
    from validator.policy.rego.outcome import Outcome


class RegoFamily(Protocol):
    def listing(self) -> list[tuple[str, str, str]]:
        """(ruleId, severity, "<family>: <title>") of every rule, for `policy list`."""
        ...

    def evaluate(
        self, env: RenderedEnvironment, old: Mapping[str, Resource] | None = None
    ) -> list[Outcome]: ...

    def evaluate_object(
        self,
        env: RenderedEnvironment,
        resource: Resource,
        old: Mapping[str, Resource] | None = None,
    ) -> Outcome: ...


def load_rego_families(settings: Settings) -> list[RegoFamily]:
    root = settings.repo_root
    paths = [root / p for p in settings.policies.paths]
    return load_families(paths, root, settings)


def load_families(paths: Sequence[Path], root: Path | None, settings: Settings) -> list[RegoFamily]:
    if not paths:  # the Rego engine and both families cost start-up: only for policies
        return []
    from validator.policy.conftest.family import ConftestFamily, read_modules, rego_files
    from validator.policy.conftest.policy import ConftestPolicies
    from validator.policy.gatekeeper.family import GatekeeperFamily, claims, load_gatekeeper

    found: list[RegoFamily] = []
    documents = [
        (body, _display(path, root))
        for path in yaml_files(paths)
        for body in read_yaml_documents(path)
        if claims(body)
    ]
    gatekeeper = load_gatekeeper(documents)
    if gatekeeper:
        found.append(
            GatekeeperFamily(
                gatekeeper,
                excluded_namespaces=settings.policies.gatekeeper_excluded_namespaces,
                prefer_rego=settings.policies.gatekeeper_prefer_rego,
            )
        )
    modules = read_modules(rego_files(paths), root)
    if modules:
        policies = ConftestPolicies(modules, settings.policies.conftest_namespaces)
        found.append(ConftestFamily(policies, combine=settings.policies.conftest_combine))
    return found


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def family_findings(
    families: Sequence[RegoFamily],
    env: RenderedEnvironment,
    old: Mapping[str, Resource] | None,
    exceptions: ExceptionSet | None,
) -> list[Finding]:
    """Every family's findings for an environment, waived by the same exceptions file."""
    found: list[Finding] = []
    for family in families:
        for outcome in family.evaluate(env, old):
            found.extend(
                finding
                for finding in outcome.findings
                if exceptions is None
                or not _excepted(exceptions, family, finding, outcome.resource, env, old)
            )
    return found


def _excepted(
    exceptions: ExceptionSet,
    family: RegoFamily,
    finding: Finding,
    resource: Resource | None,
    env: RenderedEnvironment,
    old: Mapping[str, Resource] | None,
) -> bool:
    # An environment-wide finding (conftest combine) is waived only by wildcard resources.
    ref = resource.ref if resource else ResourceRef("", "", None, "")
    for entry in exceptions.active_for(finding.rule_id, env.name, ref):
        if entry.containers:
            if resource is None:
                continue
            trimmed = dataclasses.replace(resource, body=without_containers(resource.body, entry))
            again = family.evaluate_object(env, trimmed, old).findings
            if any(f.rule_id == finding.rule_id for f in again):
                continue
        exceptions.mark_used(entry)
        return True
    return False
