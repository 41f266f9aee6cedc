"""The Kubernetes CEL environment of one Kubernetes version on `cel-expr-python`.

Compile once per expression (with version gating), evaluate many times against one activation
per object. Cost bound: the runtime stops a comprehension after ~10,000 iterations per
evaluation ("Iteration budget exceeded"); it surfaces here as a cost-budget error, the same
outcome as the API server's per-call cost limit — an error, never a hang.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cel_expr_python import cel  # type: ignore[import-untyped, unused-ignore]
from cel_expr_python.ext import (  # type: ignore[import-untyped, unused-ignore]
    ext_bindings,
    ext_optional,
    ext_strings,
)

from validator.policy import kyverno_cel
from validator.policy.cel_ast import Node, called_functions, parse_checked
from validator.policy.cel_source import (
    add_optional_suffixes,
    inline_variables,
    wrap_plain_or_value,
)
from validator.policy.errors import CelCompileError
from validator.policy.k8s_library import MIN_VERSION, library_declarations

VARIABLE_NAMES = (
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "authorizer",
    "variables",
    *kyverno_cel.LIBRARY_VARIABLES,
)
# The Kubernetes API server enables strings ext v2.
_STRINGS_VERSION = 2
_ENV_CACHE: dict[str, Any] = {}


def parse_version(text: str) -> tuple[int, int]:
    match = re.match(r"^v?(\d+)\.(\d+)", str(text).strip())
    if not match:
        raise CelCompileError(f"invalid Kubernetes version {text!r} (expected e.g. '1.33')")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An evaluation outcome: `error` is set when CEL failed (message is safe to show)."""

    value: Any = None
    error: str | None = None


@dataclass(slots=True)
class CompiledExpression:
    source: str  # as the policy author wrote it
    program: Any
    parsed: Node | None = None  # the checked AST, read from the program when first needed
    prepared: str = ""  # the self-contained CEL actually compiled (variables inlined)

    @property
    def ast(self) -> Node:
        """Decoding the AST in Python costs more than compiling: only paths of findings and
        expressions that may call a version-gated function need it."""
        if self.parsed is None:
            self.parsed = parse_checked(self.program.serialize())
        return self.parsed

    def evaluate(self, activation: Any) -> Evaluation:
        try:
            result = self.program.eval(activation)
        except RuntimeError as error:
            text = str(error)
            if "budget" in text:
                return Evaluation(error="evaluation cost budget exceeded (runaway expression)")
            return Evaluation(error=_clean(text))
        if result.type() == cel.Type.ERROR:
            return Evaluation(error=_clean(str(result.value())))
        return Evaluation(value=result.plain_value())


def _gated_call_pattern() -> re.Pattern[str]:
    """A call of a function is its name then `(`; `.?` and `[?` are the optional operators."""
    names = {name.rsplit(".", 1)[-1] for name in MIN_VERSION if name[:1].isalpha()}
    names |= kyverno_cel.FUNCTIONS  # Kyverno-only functions are checked the same way
    words = "|".join(sorted(re.escape(n) for n in names))
    return re.compile(rf"\b(?:{words})\s*\(|\.\?|\[\?")


_GATED_CALL = _gated_call_pattern()
_CALLS: dict[str, frozenset[str]] = {}  # prepared source → the functions it calls


def _may_call_gated(source: str) -> bool:
    """False only when no version-gated function can be called: its name never precedes `(`."""
    return _GATED_CALL.search(source) is not None


def _clean(message: str) -> str:
    return re.sub(r"\s*\[[A-Z_]+\]$", "", message.strip())


def _new_env() -> Any:
    if "env" not in _ENV_CACHE:
        _ENV_CACHE["env"] = cel.NewEnv(
            variables=dict.fromkeys(VARIABLE_NAMES, cel.Type.DYN),
            extensions=[
                ext_optional.ExtOptional(),
                ext_strings.ExtStrings(_STRINGS_VERSION),
                ext_bindings.ExtBindings(),
            ],
            functions=[*library_declarations(), *kyverno_cel.declarations()],
        )
    return _ENV_CACHE["env"]


class CelEnvironment:
    """Compiles expressions as the API server of `kubernetes_version` would accept them."""

    def __init__(self, kubernetes_version: str, kyverno: bool = False) -> None:
        self.kyverno = kyverno  # Kyverno policy kinds may call Kyverno's CEL libraries
        self.version = parse_version(kubernetes_version)
        self.version_text = f"{self.version[0]}.{self.version[1]}"
        self._env = _new_env()
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], CompiledExpression] = {}
        self._kyverno: CelEnvironment | None = None

    def compile(
        self, source: str, variables: Mapping[str, str] | None = None
    ) -> CompiledExpression:
        key = (source, tuple((variables or {}).items()))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._compile(source, variables or {})
        return cached

    def _compile(self, source: str, variables: Mapping[str, str]) -> CompiledExpression:
        wrapped = {k: wrap_plain_or_value(v, variables) for k, v in variables.items()}
        prepared = inline_variables(
            wrap_plain_or_value(add_optional_suffixes(source), variables), wrapped
        )
        try:
            program = self._env.compile(prepared)
        except RuntimeError as error:
            message = _clean(str(error))
            raise CelCompileError(f"CEL compile error in {source!r}: {message}") from None
        compiled = CompiledExpression(source=source, program=program, prepared=prepared)
        if _may_call_gated(prepared):
            calls = _CALLS.get(prepared)
            if calls is None:  # the same policies are compiled for each Kubernetes version
                calls = _CALLS[prepared] = frozenset(called_functions(compiled.ast))
            self._check_versions(source, calls)
        return compiled

    def for_kyverno(self) -> CelEnvironment:
        """The same environment with Kyverno's CEL libraries allowed."""
        if self.kyverno:
            return self
        if self._kyverno is None:
            self._kyverno = CelEnvironment(self.version_text, kyverno=True)
        return self._kyverno

    def _check_versions(self, source: str, calls: frozenset[str]) -> None:
        for name in sorted(calls):
            if name in kyverno_cel.FUNCTIONS and not self.kyverno:
                raise CelCompileError(
                    f"CEL compile error in {source!r}: {name!r} is a Kyverno CEL library "
                    "function, not available to a ValidatingAdmissionPolicy"
                )
            needed = MIN_VERSION.get(name)
            if needed is not None and needed > self.version:
                available = f"{needed[0]}.{needed[1]}+" if needed[0] == 1 else "no release"
                raise CelCompileError(
                    f"CEL compile error in {source!r}: function {name!r} is not available in "
                    f"Kubernetes {self.version_text} (available in {available})"
                )

    def compile_combined(self, source: str) -> Any:
        """A program built from already version-checked expressions (see fastpath)."""
        return self._env.compile(source)

    def activation(self, data: Mapping[str, Any]) -> Any:
        values = dict.fromkeys(VARIABLE_NAMES)
        values["variables"] = {}
        values.update(data)
        for name in _OBJECTS:
            values[name] = without_nulls(values[name])
        return self._env.Activation(values)


# The API server decodes objects without their null fields, so `has(object.x)` is false and
# `object.?x.?y` is absent when x is null; cel-expr-python would error on null instead.
_OBJECTS = ("object", "oldObject", "params")


def _has_null(value: Any) -> bool:
    """Asked of every object, so first in Rust: orjson's text holds `null` only when a field
    (or a string) does; a string mentioning null costs the exact walk below, never a miss."""
    if value is None or isinstance(value, str | int | float | bool):
        return False
    try:
        if b"null" not in orjson.dumps(value):
            return False
    except (TypeError, orjson.JSONEncodeError):  # non-string keys, integers beyond 64 bits
        pass
    return _walk_for_null(value)


def _walk_for_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or _walk_for_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_walk_for_null(v) for v in value)
    return False


def _strip(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def without_nulls(value: Any) -> Any:
    """`value` itself when it holds no null map field (the common case), else a copy without."""
    return _strip(value) if _has_null(value) else value
