"""Kyverno's JMESPath arithmetic: numbers, quantities ("1Gi") and durations ("1h").

A string operand is a quantity if it parses as one, else a duration (so "1m" is a milli
quantity, as in Kyverno). Kinds must match, except that quantities and durations multiply and
divide by numbers. Quantity and duration results are strings in Kubernetes/Go canonical form.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from validator.policy.kyverno.jp_signature import signature
from validator.policy.kyverno.values import is_number, parse_duration, quantity

ANY: dict[str, Any] = {"types": []}
NUM: dict[str, Any] = {"types": ["number"]}
ARR: dict[str, Any] = {"types": ["array"]}
_BINARY = (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10))
_DECIMAL = (
    (18, "E"),
    (15, "P"),
    (12, "T"),
    (9, "G"),
    (6, "M"),
    (3, "k"),
    (0, ""),
    (-3, "m"),
    (-6, "u"),
    (-9, "n"),
)


class ArithmeticError_(ValueError):
    pass


class _Quantity:
    def __init__(self, value: Fraction, binary: bool) -> None:
        self.value, self.binary = value, binary


class _Duration:
    def __init__(self, nanos: Fraction) -> None:
        self.nanos = nanos


def _operand(value: Any, name: str) -> Any:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return _Quantity(quantity(value), value.strip().endswith("i"))
        except ValueError:
            pass
        try:
            return _Duration(parse_duration(value))
        except ValueError:
            pass
    raise ArithmeticError_(f"{name}: invalid operand {value!r}")


def format_quantity(value: Fraction, binary: bool) -> str:
    """Kubernetes Quantity.String(): the largest exact suffix."""
    if binary and value.denominator == 1 and abs(value) >= 1024:
        for suffix, power in _BINARY:
            if value % (2**power) == 0:
                return f"{int(value / 2**power)}{suffix}"
    if value == 0:
        return "0"
    for exponent, suffix in _DECIMAL:
        scaled = value / Fraction(10) ** exponent
        if scaled.denominator == 1 and (abs(scaled) >= 1 or exponent == -9):
            return f"{int(scaled)}{suffix}"
    rounded = -(-value * 10**9 // 1)  # round up to nano, as Kubernetes does
    return f"{int(rounded)}n"


def format_duration(nanos: Fraction) -> str:
    """Go's time.Duration.String()."""
    total = int(nanos)
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if total >= size:
                return sign + _decimal(total, size) + unit
    hours, rest = divmod(total, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _decimal(rest, 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _decimal(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def _mismatch(name: str) -> ArithmeticError_:
    return ArithmeticError_(f"{name}: operand types do not match")


def add(left: Any, right: Any, name: str = "add") -> Any:
    a, b = _operand(left, name), _operand(right, name)
    if isinstance(a, float) and isinstance(b, float):
        return a + b
    if isinstance(a, _Quantity) and isinstance(b, _Quantity):
        return format_quantity(a.value + b.value, a.binary)
    if isinstance(a, _Duration) and isinstance(b, _Duration):
        return format_duration(a.nanos + b.nanos)
    raise _mismatch(name)


def subtract(left: Any, right: Any) -> Any:
    a, b = _operand(left, "subtract"), _operand(right, "subtract")
    if isinstance(a, float) and isinstance(b, float):
        return a - b
    if isinstance(a, _Quantity) and isinstance(b, _Quantity):
        return format_quantity(a.value - b.value, a.binary)
    if isinstance(a, _Duration) and isinstance(b, _Duration):
        return format_duration(a.nanos - b.nanos)
    raise _mismatch("subtract")


def multiply(left: Any, right: Any) -> Any:
    a, b = _operand(left, "multiply"), _operand(right, "multiply")
    if isinstance(a, float) and not isinstance(b, float):
        a, b = b, a
    if isinstance(b, float):
        if isinstance(a, float):
            return a * b
        if isinstance(a, _Quantity):
            return format_quantity(a.value * Fraction(repr(b)), a.binary)
        return format_duration(a.nanos * Fraction(repr(b)))
    raise _mismatch("multiply")


def divide(left: Any, right: Any) -> Any:
    a, b = _operand(left, "divide"), _operand(right, "divide")
    if (isinstance(b, float) and b == 0) or (
        isinstance(b, _Quantity | _Duration) and _amount(b) == 0
    ):
        raise ArithmeticError_("divide: division by zero")
    if isinstance(a, float) and isinstance(b, float):
        return a / b
    if isinstance(a, _Quantity) and isinstance(b, _Quantity):
        return float(a.value / b.value)
    if isinstance(a, _Duration) and isinstance(b, _Duration):
        return float(a.nanos / b.nanos)
    if isinstance(a, _Quantity) and isinstance(b, float):
        return format_quantity(a.value / Fraction(repr(b)), a.binary)
    if isinstance(a, _Duration) and isinstance(b, float):
        return format_duration(a.nanos / Fraction(repr(b)))
    raise _mismatch("divide")


def _amount(value: _Quantity | _Duration) -> Fraction:
    return value.value if isinstance(value, _Quantity) else value.nanos


def modulo(left: Any, right: Any) -> Any:
    a, b = _operand(left, "modulo"), _operand(right, "modulo")
    if type(a) is not type(b):
        raise _mismatch("modulo")
    x = Fraction(repr(a)) if isinstance(a, float) else _amount(a)
    y = Fraction(repr(b)) if isinstance(b, float) else _amount(b)
    if x.denominator != 1 or y.denominator != 1:
        raise ArithmeticError_("modulo: operands must be integers")
    if y == 0:
        raise ArithmeticError_("modulo: division by zero")
    result = abs(int(x)) % abs(int(y)) * (1 if x >= 0 else -1)  # Go's % keeps the dividend's sign
    if isinstance(a, float):
        return float(result)
    if isinstance(a, _Quantity):
        return format_quantity(Fraction(result), a.binary)
    return format_duration(Fraction(result))


class ArithmeticFunctions:
    @signature(ANY, ANY)
    def _func_add(self, a: Any, b: Any) -> Any:
        return add(a, b)

    @signature(ANY, ANY)
    def _func_subtract(self, a: Any, b: Any) -> Any:
        return subtract(a, b)

    @signature(ANY, ANY)
    def _func_multiply(self, a: Any, b: Any) -> Any:
        return multiply(a, b)

    @signature(ANY, ANY)
    def _func_divide(self, a: Any, b: Any) -> Any:
        return divide(a, b)

    @signature(ANY, ANY)
    def _func_modulo(self, a: Any, b: Any) -> Any:
        return modulo(a, b)

    @signature(ARR)
    def _func_sum(self, items: list[Any]) -> Any:
        if not items:
            raise ArithmeticError_("sum: at least one element in the array is required")
        total = items[0]
        for item in items[1:]:
            total = add(total, item, "sum")
        return total

    @signature(NUM, NUM)
    def _func_round(self, value: float, digits: float) -> float:
        if digits != int(digits) or digits < 0:
            raise ArithmeticError_("round: digits must be a non-negative integer")
        shift = 10 ** int(digits)
        scaled = value * shift
        whole = int(scaled + (0.5 if scaled >= 0 else -0.5))  # Go rounds half away from zero
        return float(whole / shift)
