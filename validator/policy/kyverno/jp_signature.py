"""A typed wrapper of the `jmespath` library's `signature` decorator (the library is untyped)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from jmespath import functions

F = TypeVar("F", bound=Callable[..., Any])


def signature(*arguments: dict[str, Any]) -> Callable[[F], F]:
    return cast(Callable[[F], F], functions.signature(*arguments))
