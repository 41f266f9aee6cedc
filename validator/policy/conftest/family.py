"""conftest policies over an environment: per rendered object, or once over all (combine)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_text
from validator.model import (
    Category,
    Finding,
    RenderedEnvironment,
    Resource,
    Severity,
    SourceLocation,
)
from validator.policy.conftest.policy import Checked, ConftestPolicies, Result
from validator.policy.context import redact, secret_values
from validator.policy.errors import PolicyError
from validator.policy.rego.engine import Module, detect_v0
from validator.policy.rego.outcome import Outcome

FAMILY = "conftest"
MAX_FILE_BYTES = 2 * 1024 * 1024


def rego_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            # Not only regular files: a FIFO or a link to a device is refused when read, never
            # silently left out of the policy set.
            found.extend(sorted(p for p in path.rglob("*.rego") if not p.is_dir()))
        elif path.is_file() and path.suffix == ".rego":
            found.append(path)
    return found


def read_modules(files: Iterable[Path], label: Path | None = None) -> list[Module]:
    modules = []
    for file in files:
        shown = _display(file, label)
        try:  # guarded: a FIFO or a link to /dev/zero is refused, not read
            text = read_text(file, limit=MAX_FILE_BYTES, display=shown)
        except GuardError as error:
            raise PolicyError(f"cannot read Rego: {error}") from None
        modules.append(Module(shown, text, detect_v0(text)))
    return modules


def _display(path: Path, label: Path | None) -> str:
    if label is not None:
        try:
            return path.resolve().relative_to(label.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


class ConftestFamily:
    def __init__(self, policies: ConftestPolicies, *, combine: bool = False) -> None:
        self.policies = policies
        self.combine = combine

    def listing(self) -> list[tuple[str, str, str]]:
        return [
            (rule_id, "warning" if "/warn" in rule_id else "error", "conftest: Rego rule")
            for rule_id in self.policies.rule_ids()
        ]

    def evaluate(
        self, env: RenderedEnvironment, old: Mapping[str, Resource] | None = None
    ) -> list[Outcome]:
        """`old` is not used: conftest has no notion of a previous version."""
        if self.combine:
            combined = [{"path": _path(r), "contents": dict(r.body)} for r in env.resources]
            checked = self.policies.check(combined)
            findings = [
                dataclasses.replace(f, location=self._location(f.rule_id))
                for f in _findings(checked, env.name, None, _secrets(env.resources))
            ]
            return [Outcome(None, tuple(findings))]
        return [self.evaluate_object(env, r) for r in env.resources]

    def _location(self, rule_id: str) -> SourceLocation | None:
        """Where an environment-wide finding points: the rule's definition."""
        namespace, _, rule = rule_id.partition("/")
        found = self.policies.engine.rule_location(namespace, rule)
        return SourceLocation(found[0], found[1]) if found else None

    def evaluate_object(
        self,
        env: RenderedEnvironment,
        resource: Resource,
        old: Mapping[str, Resource] | None = None,
    ) -> Outcome:
        checked = self.policies.check(resource.body)
        secrets = list(secret_values(resource.body))
        return Outcome(resource, tuple(_findings(checked, env.name, resource, secrets)))


def _secrets(resources: Iterable[Resource]) -> list[str]:
    return [value for r in resources for value in secret_values(r.body)]


def _path(resource: Resource) -> str:
    return resource.origin.file if resource.origin else f"{resource.ref.kind}/{resource.ref.name}"


def _findings(
    checked: Checked, environment: str, resource: Resource | None, secrets: Sequence[str]
) -> list[Finding]:
    """`secrets`: values of the Secrets the input held; a message never repeats one."""
    ref = resource.ref if resource else None
    out = [
        dataclasses.replace(f, message=redact(f.message, secrets))
        for f in (_finding(result, environment, resource) for result in checked.results)
    ]
    out.extend(
        Finding(
            rule_id=error.split(":", 1)[0],
            category=Category.POLICY,
            family=FAMILY,
            severity=Severity.ERROR,
            message=f"policy error (conftest): {error}",
            environment=environment,
            resource=ref,
        )
        for error in checked.errors
    )
    return out


def _finding(result: Result, environment: str, resource: Resource | None) -> Finding:
    severity = Severity.WARNING if result.warning else Severity.ERROR
    return Finding(
        rule_id=result.rule_id,
        category=Category.POLICY,
        family=FAMILY,
        severity=severity,
        message=result.message,
        environment=environment,
        resource=resource.ref if resource else None,
        path=_pointer(result),
    )


def _pointer(result: Result) -> str | None:
    """A result may name the offending field (metadata `path`, a JSON pointer or dotted)."""
    value: Any = result.metadata.get("path") or result.metadata.get("field")
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("/"):
        return value
    return "/" + value.removeprefix("input.").replace(".", "/")
