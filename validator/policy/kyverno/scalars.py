"""Scalar patterns in Kyverno `pattern`s: types, wildcards, operators (`>`, `<=`, `!`, `|`,
`&`, ranges `a-b` / `a!-b`) with durations and quantities (pkg/engine/pattern)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from validator.policy.kyverno.values import (
    go_float_e,
    go_float_f,
    is_number,
    parse_duration,
    quantity,
    wildcard_match,
)

_IN_RANGE = re.compile(r"^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$")
_NOT_IN_RANGE = re.compile(r"^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)!-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$")


def validate_value(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, bool):
        return isinstance(value, bool) and value == pattern
    if is_number(pattern):
        return _number(value, float(pattern))
    if pattern is None:
        if isinstance(value, bool):
            return not value
        if is_number(value):
            return float(value) == 0
        return value is None or value == ""
    if isinstance(pattern, Mapping):
        return isinstance(value, Mapping)
    if isinstance(pattern, str):
        return string_patterns(value, pattern)
    return False


def _number(value: Any, pattern: float) -> bool:
    if isinstance(value, bool):
        return False
    if is_number(value):
        return float(value) == pattern
    if isinstance(value, str):
        try:
            return float(value) == pattern
        except ValueError:
            return False
    return False


def string_patterns(value: Any, pattern: str) -> bool:
    if isinstance(value, str) and value == pattern:
        return True
    for alternative in pattern.split("|"):
        conditions = alternative.strip(" ").split("&")
        if all(_one(value, c.strip(" ")) for c in conditions):
            return True
    return False


def operator_of(pattern: str) -> str:
    if len(pattern) < 2:
        return ""
    for op in (">=", "<=", ">", "<", "!"):
        if pattern.startswith(op):
            return op
    if _NOT_IN_RANGE.match(pattern):
        return "!-"
    if _IN_RANGE.match(pattern):
        return "-"
    return ""


def _one(value: Any, pattern: str) -> bool:
    op = operator_of(pattern)
    if op == "-":
        low, high = _IN_RANGE.match(pattern).groups()  # type: ignore[union-attr]
        return _one(value, f">= {low}") and _one(value, f"<= {high}")
    if op == "!-":
        low, high = _NOT_IN_RANGE.match(pattern).groups()  # type: ignore[union-attr]
        return _one(value, f"< {low}") or _one(value, f"> {high}")
    operand = pattern[len(op) :].strip()
    for compare in (_compare_duration, _compare_quantity):
        result = compare(value, operand, op)
        if result is not None:
            return result
    return _compare_string(value, operand, op)


def _number_text(value: Any) -> str | None:
    if value is None:
        return "0"  # a missing value compares as zero (Kyverno's behaviour)
    if isinstance(value, str):
        return value
    if is_number(value):
        return go_float_f(float(value))
    return None


def _ordered_compare(left: Any, right: Any, op: str) -> bool:
    return bool(
        {
            "": left == right,
            "!": left != right,
            ">": left > right,
            "<": left < right,
            ">=": left >= right,
            "<=": left <= right,
        }[op]
    )


def _compare_duration(value: Any, operand: str, op: str) -> bool | None:
    try:
        wanted = parse_duration(operand)
        text = _number_text(value)
        if text is None:
            return None
        actual = parse_duration(text)
    except ValueError:
        return None
    return _ordered_compare(actual, wanted, op)


def _compare_quantity(value: Any, operand: str, op: str) -> bool | None:
    try:
        wanted = quantity(operand)
        text = _number_text(value)
        if text is None:
            return None
        actual = quantity(text)
    except ValueError:
        return None
    return _ordered_compare(actual, wanted, op)


def _compare_string(value: Any, operand: str, op: str) -> bool:
    if op not in ("", "!"):
        return False
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) or (is_number(value) and not math.isnan(value)):
        text = go_float_e(float(value))
    elif isinstance(value, str):
        text = value
    else:
        return False
    matched = wildcard_match(operand, text)
    return not matched if op == "!" else matched
