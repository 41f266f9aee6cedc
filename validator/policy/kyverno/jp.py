"""JMESPath as Kyverno evaluates it: the `jmespath` library plus Kyverno's function set.

Kyverno's fork of go-jmespath raises `Unknown key "x" in path` when a field or sub-expression
names a missing map key; inside comparisons, function arguments, filters, projections, pipes
and `||`/`&&`/`!` it yields null like standard JMESPath. The interpreter below does the same.
"""

from __future__ import annotations

import functools
from typing import Any

import jmespath
from jmespath import exceptions as jp_exceptions
from jmespath import visitor

from validator.policy.kyverno.jp_functions import KyvernoFunctions


class NotFoundError(Exception):
    """A variable names a key the data does not have (Kyverno: `Unknown key "x" in path`)."""

    def __init__(self, key: str) -> None:
        super().__init__(f'Unknown key "{key}" in path')
        self.key = key


class JMESPathError(Exception):
    """A syntax, type or function error in a JMESPath expression."""


_LENIENT = frozenset(
    {
        "comparator",
        "function_expression",
        "filter_projection",
        "projection",
        "value_projection",
        "flatten",
        "pipe",
        "or_expression",
        "and_expression",
        "not_expression",
        "multi_select_list",
        "multi_select_dict",
    }
)


class _Interpreter(visitor.TreeInterpreter):  # type: ignore[misc]  # untyped library
    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._lenient = 0

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        if node["type"] in _LENIENT:
            self._lenient += 1
            try:
                return super().visit(node, *args, **kwargs)
            finally:
                self._lenient -= 1
        return super().visit(node, *args, **kwargs)

    def visit_subexpression(self, node: Any, value: Any) -> Any:
        # Kyverno's fork stops at a null left side: `x.keys(@)` on a null x is null, not a
        # type error (so a projection simply drops that element).
        result = value
        for child in node["children"]:
            if result is None and child is not node["children"][0]:
                return None
            result = self.visit(child, result)
        return result

    def visit_field(self, node: Any, value: Any) -> Any:
        if isinstance(value, dict):
            key = node["value"]
            if key not in value and not self._lenient:
                raise NotFoundError(key)
            return value.get(key)
        return None


_FUNCTIONS = KyvernoFunctions()
_OPTIONS = jmespath.Options(custom_functions=_FUNCTIONS)


@functools.lru_cache(maxsize=4096)
def _parsed(expression: str) -> Any:
    try:
        return jmespath.compile(expression)
    except jp_exceptions.JMESPathError as error:
        raise JMESPathError(f"invalid JMESPath {expression!r}: {error}") from None


def search(expression: str, data: Any) -> Any:
    parsed = _parsed(expression.strip())
    interpreter = _Interpreter(_OPTIONS)
    try:
        return interpreter.visit(parsed.parsed, data)
    except NotFoundError:
        raise
    except jp_exceptions.JMESPathError as error:
        raise JMESPathError(f"JMESPath {expression!r}: {error}") from None
    except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError) as error:
        raise JMESPathError(f"JMESPath {expression!r}: {error}") from None
