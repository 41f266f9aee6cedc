"""conftest's rule model over Rego modules: deny/violation/warn rules, exceptions, combine.

Semantics follow conftest (`policy/engine.go`): failures are rules named `deny` or `violation`
with optional `_suffix`es, warnings `warn[_suffix]`; only the packages equal to a configured
namespace are read (default `main`, glob patterns allowed); a set element that is a string is
the message, an object needs a string `msg` (other keys are metadata), anything else is ignored;
`exception[_][_] == "<rule minus its prefix>"` drops that rule's results for the input.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.policy.rego.engine import Module, RegoEngine, RegoError

FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
_PREFIX = re.compile(r"^(deny|violation|warn)_?")


@dataclass(frozen=True, slots=True)
class Result:
    namespace: str
    rule: str  # deny, deny_foo, warn, ...
    message: str
    warning: bool
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        """How findings and exceptions name it: `<namespace>/<rule>`, like conftest's SARIF."""
        return f"{self.namespace}/{self.rule}"


@dataclass(frozen=True, slots=True)
class Checked:
    results: tuple[Result, ...] = ()
    excepted: tuple[str, ...] = ()  # rule ids dropped by the policy's own exception rules
    errors: tuple[str, ...] = ()  # an element or rule conftest would reject, or an eval error


class ConftestPolicies:
    """All .rego modules of the configured paths compiled together, as conftest loads them."""

    def __init__(self, modules: Sequence[Module], namespaces: Sequence[str] = ("main",)) -> None:
        self.modules = tuple(modules)
        self.engine = RegoEngine(self.modules)
        patterns = tuple(namespaces) or ("main",)
        self.namespaces = [
            p for p in self.engine.packages() if any(fnmatch.fnmatchcase(p, n) for n in patterns)
        ]
        self.rules = {ns: self.engine.rule_names(ns) for ns in self.namespaces}

    def rule_ids(self) -> list[str]:
        return [
            f"{ns}/{rule}"
            for ns, rules in self.rules.items()
            for rule in rules
            if FAILURE.match(rule) or WARNING.match(rule)
        ]

    def check(self, input_value: Any) -> Checked:
        """Every namespace's deny/violation/warn rules for one input (an object, or combined)."""
        self.engine.set_input(input_value)
        results: list[Result] = []
        excepted: list[str] = []
        errors: list[str] = []
        for namespace, rules in self.rules.items():
            exceptions = self._exceptions(namespace, rules, errors)
            for rule in rules:
                warning = bool(WARNING.match(rule))
                if not (warning or FAILURE.match(rule)):
                    continue
                if _PREFIX.sub("", rule) in exceptions:
                    excepted.append(f"{namespace}/{rule}")
                    continue
                try:
                    value = self.engine.read(f"{namespace}.{rule}")
                except RegoError as error:
                    errors.append(f"{namespace}/{rule}: {error}")
                    continue
                results.extend(_results(namespace, rule, warning, value, errors))
        return Checked(tuple(results), tuple(excepted), tuple(errors))

    def _exceptions(self, namespace: str, rules: Iterable[str], errors: list[str]) -> set[str]:
        if "exception" not in rules:
            return set()
        try:
            value = self.engine.read(f"{namespace}.exception")
        except RegoError as error:
            errors.append(f"{namespace}/exception: {error}")
            return set()
        names: set[str] = set()
        for entry in value if isinstance(value, list) else []:
            if isinstance(entry, list):
                names.update(str(name) for name in entry)
        return names


def _results(
    namespace: str, rule: str, warning: bool, value: Any, errors: list[str]
) -> list[Result]:
    if value is None:
        return []
    if isinstance(value, bool):  # `deny if {...}`: conftest refuses such a rule at load time
        errors.append(f"{namespace}/{rule}: must be a set of messages (`{rule} contains msg if`)")
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Result] = []
    for item in items:
        if isinstance(item, str):
            out.append(Result(namespace, rule, item, warning))
        elif isinstance(item, Mapping):
            if not isinstance(item.get("msg"), str):
                errors.append(f"{namespace}/{rule}: a result object needs a string 'msg'")
                continue
            metadata = {k: v for k, v in item.items() if k != "msg"}
            out.append(Result(namespace, rule, item["msg"], warning, metadata))
        # other element types carry no message: conftest ignores them too
    return out
