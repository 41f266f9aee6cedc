"""The validation stages as the pipeline runs them: built once per run, then fed environments.

Part of the composition root with `pipeline.py`: the only other module that imports stages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from validator import policy, schema, secrets
from validator.model import Finding, RenderedEnvironment, Resource, Settings
from validator.outcome import RuleDoc

OldResources = Mapping[str, Resource]  # the same objects at the base revision, by ResourceRef.key


class Stage(Protocol):
    def checks(self, environment: str) -> tuple[str, ...]: ...

    def check_repository(self, files: Iterable[str] | None) -> list[Finding]: ...

    def check_environment(self, env: RenderedEnvironment, old: OldResources) -> list[Finding]: ...

    def finish(self) -> list[Finding]: ...

    # What check_environment learnt besides findings, kept with them by the findings cache
    # (validator.checkcache) and handed back when the environment's findings are replayed.
    def memo(self, environment: str) -> Any: ...

    def replay(self, environment: str, memo: Any) -> None: ...


class _Stateless:
    """For stages whose check of an environment leaves nothing behind but its findings."""

    def memo(self, environment: str) -> Any:
        return None

    def replay(self, environment: str, memo: Any) -> None:
        return None


class SecretsStage(_Stateless):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def checks(self, environment: str) -> tuple[str, ...]:
        return ("secrets",)

    def check_repository(self, files: Iterable[str] | None) -> list[Finding]:
        return secrets.scan_repository(self._settings, files)

    def check_environment(self, env: RenderedEnvironment, old: OldResources) -> list[Finding]:
        return secrets.scan_environment(env, self._settings)

    def finish(self) -> list[Finding]:
        return []


class ReferencesStage(_Stateless):
    """`--check-refs`: every referenced Vault path and pinned version exists, values unread."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def checks(self, environment: str) -> tuple[str, ...]:
        return ("secret-references",)

    def check_repository(self, files: Iterable[str] | None) -> list[Finding]:
        return []

    def check_environment(self, env: RenderedEnvironment, old: OldResources) -> list[Finding]:
        # Imported here: hvac costs start-up time that plain validation should not pay.
        from validator.secrets.check_refs import check_references

        return check_references(env.resources, self._settings)

    def finish(self) -> list[Finding]:
        return []


class SchemaStage(_Stateless):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._validator = schema.SchemaValidator()  # compiled schemas shared by environments

    def checks(self, environment: str) -> tuple[str, ...]:
        return ("schema",)

    def share(self, environments: Iterable[RenderedEnvironment]) -> None:
        """CRDs rendered in one environment serve the kinds of every other one."""
        self._validator.share(environments)

    def check_repository(self, files: Iterable[str] | None) -> list[Finding]:
        return []

    def check_environment(self, env: RenderedEnvironment, old: OldResources) -> list[Finding]:
        return self._validator.validate(env, self._settings, old)

    def finish(self) -> list[Finding]:
        return []


class PolicyStage:
    def __init__(self, settings: Settings) -> None:
        self._engine = policy.PolicyEngine.load(settings)
        self._used: dict[str, list[int]] = {}  # exception indices each environment used

    def checks(self, environment: str) -> tuple[str, ...]:
        engine = self._engine
        cel = (p.name for p in engine.policies_for(environment) if not p.generated)
        return (*cel, *(p.name for p in engine.user.family_policies))

    def rule_docs(self) -> dict[str, RuleDoc]:
        docs = {}
        engine = self._engine
        policies = [*engine.builtin.policies, *engine.user.policies]
        for info in policy.describe_policies(policies, engine.user.family_policies):
            docs[info.name] = RuleDoc(
                title=info.title,
                description=info.description,
                category=info.category,
                help_uri=info.help_uri,
            )
        return docs

    def check_repository(self, files: Iterable[str] | None) -> list[Finding]:
        return self._engine.load_findings()

    def check_environment(self, env: RenderedEnvironment, old: OldResources) -> list[Finding]:
        exceptions = self._engine.exceptions
        if exceptions is None:
            return self._engine.evaluate(env, old)
        earlier, exceptions.used = exceptions.used, set()
        try:
            return self._engine.evaluate(env, old)
        finally:
            self._used[env.name] = sorted(exceptions.used)
            exceptions.used |= earlier

    def memo(self, environment: str) -> Any:
        """The exceptions this environment used: `exception-unused` needs them on a replay."""
        return self._used.get(environment, [])

    def replay(self, environment: str, memo: Any) -> None:
        used = [index for index in memo if isinstance(index, int)] if isinstance(memo, list) else []
        self._engine.replayed(environment, used)

    def finish(self) -> list[Finding]:
        return self._engine.exception_findings()


def rule_docs(stages: Iterable[Stage]) -> dict[str, RuleDoc]:
    """What the loaded policies check, for the formats that describe rules (SARIF, JUnit)."""
    docs: dict[str, RuleDoc] = {}
    for stage in stages:
        if isinstance(stage, PolicyStage):
            docs.update(stage.rule_docs())
    return docs


def compliance_inputs(settings: Settings) -> tuple[list[str], list[dict[str, object]]]:
    """The policy controls in force and the exceptions file's entries, for the report."""
    engine = policy.PolicyEngine.load(settings)
    controls = sorted(
        {p.name for env in settings.environments for p in engine.policies_for(env.name)}
    )
    entries = engine.exceptions.entries if engine.exceptions else []
    return controls, [
        {
            "policy": entry.policy,
            "environments": list(entry.environments),
            "resources": [
                {"kind": r.kind, "namespace": r.namespace, "name": r.name} for r in entry.resources
            ],
            "owner": entry.owner,
            "reason": entry.reason,
            "expires": entry.expires.isoformat(),
        }
        for entry in entries
    ]
