"""Helpers to declare Python-backed CEL functions for `cel-expr-python`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cel_expr_python import cel  # type: ignore[import-untyped, unused-ignore]

from validator.policy import k8s_values as kv

T = cel.Type
MAP = T.Map(T.STRING, T.DYN)
LIST = T.List(T.DYN)
STRINGS = T.List(T.STRING)

Overload = tuple[str, Any, list[Any], bool, Callable[..., Any]]


def _wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become CEL evaluation errors with a clean message, never tracebacks."""

    def impl(*args: Any) -> Any:
        try:
            return fn(*args)
        except (ValueError, TypeError, KeyError, ZeroDivisionError, AttributeError) as error:
            raise ValueError(str(error)) from None

    return impl


def decl(name: str, *overloads: Overload) -> Any:
    """One function: overloads are (id, return type, parameter types, is_member, impl)."""
    return cel.FunctionDecl(
        name,
        [
            cel.Overload(oid, ret, params, is_member=member, impl=_wrap(fn))
            for oid, ret, params, member, fn in overloads
        ],
    )


def is_valid(parse: Callable[..., Any]) -> Callable[..., bool]:
    """`isX(str)` from a parser that raises on bad input."""

    def check(*args: Any) -> bool:
        try:
            parse(*args)
        except (kv.K8sValueError, ValueError):
            return False
        return True

    return check
