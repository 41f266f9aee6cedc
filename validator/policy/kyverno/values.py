"""Kyverno's scalar semantics: wildcards, Go durations, Kubernetes quantities, Go formatting."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from validator.policy.k8s_values import K8sValueError, parse_quantity

_UNITS = {
    "ns": Fraction(1),
    "us": Fraction(1000),
    "µs": Fraction(1000),
    "μs": Fraction(1000),
    "ms": Fraction(10**6),
    "s": Fraction(10**9),
    "m": Fraction(60 * 10**9),
    "h": Fraction(3600 * 10**9),
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


@functools.lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    """`*` is any run (also empty), `?` exactly one character; nothing else is special."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(pattern: str, text: str) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    return _wildcard_regex(pattern).fullmatch(text) is not None


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def parse_duration(text: str) -> Fraction:
    """Go's time.ParseDuration, in nanoseconds; ValueError when it is not a duration."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    rest, sign = text, 1
    if rest[:1] in "+-" and rest:
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if rest == "0":
        return Fraction(0)
    if not rest:
        raise ValueError(f"invalid duration {text!r}")
    total, position = Fraction(0), 0
    while position < len(rest):
        match = _DURATION_PART.match(rest, position)
        if not match or match.group(1) in ("", "."):
            raise ValueError(f"invalid duration {text!r}")
        total += Fraction(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return sign * total


def quantity(text: str) -> Fraction:
    try:
        return parse_quantity(text)
    except K8sValueError as error:
        raise ValueError(str(error)) from None


def go_float_e(value: float) -> str:
    """strconv.FormatFloat(v, 'E', -1, 64): shortest mantissa, two-digit exponent."""
    if value == 0:
        return "0E+00"
    text = f"{Decimal(repr(float(value))).normalize():E}"
    mantissa, _, exponent = text.partition("E")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}E{sign}{abs(int(exponent)):02d}"


def go_float_f(value: float) -> str:
    """fmt.Sprintf("%f", v)."""
    return f"{value:f}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def go_sprint(value: Any) -> str:
    """fmt.Sprint of a JSON-decoded value (numbers are float64 in Go)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        number = float(value)
        if number == int(number) and abs(number) < 1e21:
            return str(int(number))
        return repr(number)
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    if isinstance(value, dict):
        items = " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value))
        return f"map[{items}]"
    return str(value)
