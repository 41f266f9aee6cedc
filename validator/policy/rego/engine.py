"""Rego in-process through regorus (a Rust implementation of OPA's language).

Why regorus (the `gordon-to-regorus` wheel): on the Gatekeeper library's suites it agrees with
gator on all but three cases, it evaluates ~30,000 small policies a second here, it reads both
Rego v1 and v0 (`set_rego_v0` before a module is added), and it is a maintained fork of
microsoft/regorus with current releases. `regopy` (rego-cpp) has no v0 switch (a v0 partial
set silently becomes a v1 object rule) and ran ~300 evaluations a second; the other regorus
wheels are stale and cannot import library packages. See README "Policy families".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regorus

from validator.policy.errors import PolicyError

_BACKTRACE = "\n\nStack backtrace:"
_NOT_A_RULE = "not a valid rule path"
_UNDEFINED = "<undefined>"  # how regorus spells an undefined rule value


class RegoError(PolicyError):
    """A module that does not compile, or an evaluation that raised (not: undefined)."""


def _clean(error: Exception) -> str:
    """regorus errors carry a Rust backtrace after the message; people need the message."""
    return str(error).split(_BACKTRACE, 1)[0].strip()


@dataclass(frozen=True, slots=True)
class Module:
    path: str  # shown in errors, e.g. policies/deny.rego
    text: str
    v0: bool = False


def detect_v0(text: str) -> bool:
    """v0 when the module is not valid v1 but is valid v0 (conftest and Regal do the same)."""
    probe = regorus.Engine()
    try:
        probe.add_policy("probe.rego", text)
        return False
    except RuntimeError:
        pass
    probe = regorus.Engine()
    probe.set_rego_v0(True)
    try:
        probe.add_policy("probe.rego", text)
        return True
    except RuntimeError:
        return False  # broken either way: compile it as v1 to report the v1 error


class RegoEngine:
    """Compiled modules plus data; `evaluate` sets input and reads one rule or query."""

    def __init__(
        self,
        modules: Iterable[Module],
        data: Mapping[str, Any] | None = None,
        extensions: Mapping[str, tuple[int, Callable[..., Any]]] | None = None,
    ) -> None:
        """`extensions`: Python functions callable from Rego, by name → (arity, function)."""
        self._engine = regorus.Engine()
        self._ast: list[Any] | None = None
        for name, (arity, function) in (extensions or {}).items():
            self._engine.add_extension(name, arity, function)
        for module in modules:
            self._engine.set_rego_v0(module.v0)
            try:
                self._engine.add_policy(module.path, module.text)
            except RuntimeError as error:
                raise RegoError(f"{module.path}: {_clean(error)}") from None
        if data:
            self.add_data(data)

    def add_data(self, data: Mapping[str, Any]) -> None:
        try:
            self._engine.add_data_json(json.dumps(data))
        except RuntimeError as error:
            raise RegoError(f"data: {_clean(error)}") from None

    def clone(self) -> RegoEngine:
        copy = RegoEngine.__new__(RegoEngine)
        copy._engine = self._engine.clone()
        copy._ast = self._ast
        return copy

    def packages(self) -> list[str]:
        """Package paths without the `data.` prefix, e.g. ["main", "lib.kubernetes"]."""
        names = [str(p).removeprefix("data.") for p in self._engine.get_packages()]
        return list(dict.fromkeys(names))  # one entry per module: a package may span files

    def rule_names(self, package: str) -> list[str]:
        """Names of the rules a package defines (from the parser's AST, nothing evaluated)."""
        return list(dict.fromkeys(name for name, _, _ in self._rules(package)))

    def rule_location(self, package: str, rule: str) -> tuple[str, int] | None:
        """(module path, line) of the rule's first definition."""
        return next(((f, line) for n, f, line in self._rules(package) if n == rule), None)

    def _rules(self, package: str) -> list[tuple[str, str, int]]:
        if self._ast is None:
            self._ast = json.loads(self._engine.get_ast_as_json())
        found: list[tuple[str, str, int]] = []
        for module in self._ast or []:
            ast = module.get("ast") or {}
            if _ref_path((ast.get("package") or {}).get("refr")) != package:
                continue
            file = str((module.get("source") or {}).get("file") or "")
            for rule in ast.get("rules") or []:
                name = _rule_name(rule)
                if name:
                    span = (rule.get("Spec") or {}).get("span") or {}
                    found.append((name, file, int(span.get("line") or 1)))
        return found

    def evaluate(self, rule: str, input_value: Any) -> Any:
        """The value of `data.<rule>` for this input; None when undefined."""
        self.set_input(input_value)
        return self.read(rule)

    def set_input(self, input_value: Any) -> None:
        # Handing over the Python value is twice as fast as JSON text (measured on the corpus).
        try:
            self._engine.set_input(input_value)
        except (TypeError, ValueError, RuntimeError):
            self._engine.set_input_json(json.dumps(input_value, default=str))

    def read(self, rule: str) -> Any:
        """A rule's value (a set as a list); None when undefined. Reading a rule directly is
        three times faster than a query; a path that names no rule falls back to a query."""
        try:
            text = self._engine.eval_rule_as_json(f"data.{rule}")
        except RuntimeError as error:
            if _NOT_A_RULE not in str(error):
                raise RegoError(_clean(error)) from None
            return self._query(rule)
        value = json.loads(text)
        return None if value == _UNDEFINED else value

    def _query(self, rule: str) -> Any:
        try:
            text = self._engine.eval_query_as_json(f"data.{rule}")
        except RuntimeError as error:
            raise RegoError(_clean(error)) from None
        results = json.loads(text).get("result") or []
        if not results:
            return None
        expressions = results[0].get("expressions") or []
        return expressions[0].get("value") if expressions else None


def _ref_path(ref: Any) -> str:
    """Dotted path of a parsed reference like data.lib.x (the `data.` root dropped)."""
    if not isinstance(ref, Mapping):
        return ""
    if "Var" in ref:
        value = str(ref["Var"].get("value", ""))
        return "" if value == "data" else value
    if "RefDot" in ref:
        node = ref["RefDot"]
        head = _ref_path(node.get("refr"))
        field = node.get("field")
        name = str(field[1]) if isinstance(field, Sequence) and len(field) > 1 else ""
        return f"{head}.{name}" if head else name
    if "RefBrack" in ref:  # p[x] := ...: the rule is named by what stands before the bracket
        return _ref_path(ref["RefBrack"].get("refr"))
    return ""


def _rule_name(rule: Any) -> str:
    if not isinstance(rule, Mapping):
        return ""
    spec = rule.get("Spec")
    if not isinstance(spec, Mapping):
        return ""
    head = spec.get("head")
    if not isinstance(head, Mapping) or not head:
        return ""
    node = next(iter(head.values()))
    if not isinstance(node, Mapping):
        return ""
    return _ref_path(node.get("refr")).split(".")[0]
