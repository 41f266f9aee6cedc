"""Kyverno conditions (preconditions, deny.conditions, exception conditions) and operators."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from validator.policy.kyverno.jp_functions import semver_in_range
from validator.policy.kyverno.pattern import operator_of, string_patterns
from validator.policy.kyverno.values import (
    go_sprint,
    is_number,
    parse_duration,
    quantity,
    wildcard_match,
)
from validator.policy.kyverno.variables import substitute

_NUMERIC = {
    "greaterthan": ">",
    "greaterthanorequals": ">=",
    "lessthan": "<",
    "lessthanorequals": "<=",
}


class ConditionError(ValueError):
    pass


def evaluate_conditions(
    conditions: Any, context: Mapping[str, Any], delete: bool = False
) -> tuple[bool, str]:
    """(all true?, messages). `any` and `all` are ANDed; a bare list counts as `all`."""
    if conditions is None:
        return True, ""
    if isinstance(conditions, list):
        return _all(conditions, context, delete)
    if not isinstance(conditions, Mapping):
        raise ConditionError("conditions must be a list or have any/all")
    any_ok, all_ok, true_msgs, false_msgs = True, True, [], []
    if conditions.get("any") is not None:
        any_ok = False
        for condition in conditions.get("any") or []:
            ok, message = evaluate(condition, context, delete)
            if ok:
                any_ok = True
                true_msgs.append(message)
                break
            false_msgs.append(message)
    for condition in conditions.get("all") or []:
        ok, message = evaluate(condition, context, delete)
        if not ok:
            all_ok = False
            false_msgs.append(message)
            break
        true_msgs.append(message)
    result = any_ok and all_ok
    return result, "; ".join(m for m in (true_msgs if result else false_msgs) if m)


def _all(conditions: list[Any], context: Mapping[str, Any], delete: bool) -> tuple[bool, str]:
    messages = []
    for condition in conditions:
        ok, message = evaluate(condition, context, delete)
        if not ok:
            return False, message
        messages.append(message)
    return True, ";".join(m for m in messages if m)


def evaluate(condition: Any, context: Mapping[str, Any], delete: bool = False) -> tuple[bool, str]:
    if not isinstance(condition, Mapping):
        raise ConditionError("a condition must be a mapping")
    key = substitute(condition.get("key"), context, delete)
    value = substitute(condition.get("value"), context, delete)
    operator = str(condition.get("operator") or "")
    return apply_operator(operator, key, value), str(condition.get("message") or "")


def apply_operator(operator: str, key: Any, value: Any) -> bool:
    op = operator.lower()
    if op in ("equals", "equal"):
        return equals(key, value)
    if op in ("notequals", "notequal"):
        return not equals(key, value)
    if op in ("anyin", "in"):
        return _set_check(key, value, "any_in")
    if op == "allin":
        return _set_check(key, value, "all_in")
    if op in ("anynotin",):
        return _set_check(key, value, "any_not_in")
    if op in ("allnotin", "notin"):
        return _set_check(key, value, "all_not_in")
    if op in _NUMERIC:
        return numeric(key, value, _NUMERIC[op])
    if op.startswith("duration") and op[8:] in _NUMERIC:
        return _durations(key, value, _NUMERIC[op[8:]])
    raise ConditionError(f"unknown condition operator {operator!r}")


# --- Equals -------------------------------------------------------------------------------


def _duration_pair(key: Any, value: Any) -> tuple[float, float] | None:
    def parse(x: Any) -> float | None:
        if isinstance(x, str) and x != "0":
            try:
                return float(parse_duration(x)) / 1e9
            except ValueError:
                return None
        return None

    k, v = parse(key), parse(value)
    if k is None and v is None:
        return None
    if k is None:
        if not is_number(key):
            return None
        k = float(key)
    if v is None:
        if not is_number(value):
            return None
        v = float(value)
    return k, v


def equals(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        return isinstance(value, bool) and key == value
    if is_number(key):
        if isinstance(value, bool):
            return False
        if is_number(value):
            return float(key) == float(value)
        if isinstance(value, str):
            try:
                return float(value) == float(key)
            except ValueError:
                return False
        return False
    if isinstance(key, str):
        pair = _duration_pair(key, value)
        if pair is not None:
            return pair[0] == pair[1]
        try:
            wanted = quantity(key)
            if isinstance(value, str):
                try:
                    return quantity(value) == wanted
                except ValueError:
                    return False
        except ValueError:
            pass
        return isinstance(value, str) and wildcard_match(value, key)
    if isinstance(key, Mapping | list):
        return bool(_plain(key) == _plain(value))
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if is_number(value):
        return float(value)
    return value


# --- AnyIn / AllIn / AnyNotIn / AllNotIn ------------------------------------------------------


def _values(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [go_sprint(v) for v in value]
    if is_number(value) or isinstance(value, bool):
        return [go_sprint(value)]
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
            return parsed
        return None if isinstance(parsed, list | dict) else [value]
    return None


def _matches(a: str, b: str) -> bool:
    return wildcard_match(a, b) or wildcard_match(b, a)


def _set_check(key: Any, value: Any, mode: str) -> bool:
    if isinstance(key, list):
        keys = [go_sprint(k) for k in key]
    elif isinstance(key, str | bool) or is_number(key):
        keys = [key if isinstance(key, str) else go_sprint(key)]
    else:
        return False
    if isinstance(value, str) and operator_of(value) == "-":
        ranged = value if not mode.endswith("not_in") else value.replace("-", "!-", 1)
        hits = [string_patterns(k, ranged) for k in keys]
        return any(hits) if mode.startswith("any") else all(hits)
    if isinstance(value, str) and len(keys) == 1 and keys[0] == value:
        return not mode.endswith("not_in")
    values = _values(value)
    if values is None:
        return False
    found = [any(_matches(k, v) for v in values) for k in keys]
    if mode == "any_in":
        return any(found)
    if mode == "all_in":
        return all(found)
    if mode == "any_not_in":
        return not all(found)
    return not any(found)


# --- GreaterThan and friends ------------------------------------------------------------------


def _compare(left: Any, right: Any, op: str) -> bool:
    results = {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}
    return bool(results[op])


def _number_or_none(value: Any) -> float | None:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def numeric(key: Any, value: Any, op: str) -> bool:
    pair = _duration_pair(key, value)
    if pair is not None:
        return _compare(pair[0], pair[1], op)
    if is_number(key):
        other = _number_or_none(value)
        return other is not None and _compare(float(key), other, op)
    if not isinstance(key, str):
        return False
    if isinstance(value, str):
        try:
            return _compare(quantity(key), quantity(value), op)
        except ValueError:
            pass
    number = _number_or_none(key)
    if number is not None:
        other = _number_or_none(value)
        return other is not None and _compare(number, other, op)
    if isinstance(value, str):
        try:
            greater = semver_in_range(key, f">{value}")
            equal = semver_in_range(key, f"={value}")
        except ValueError:
            return False
        return {
            ">": greater,
            ">=": greater or equal,
            "<": not (greater or equal),
            "<=": not greater,
        }[op]
    return False


def _durations(key: Any, value: Any, op: str) -> bool:
    pair = _duration_pair(key, value)
    return pair is not None and _compare(pair[0], pair[1], op)
