"""Kyverno's JMESPath time functions. Times are RFC 3339 strings; durations Go durations.

`CLOCK` is the one source of "now": tests pin it, so a policy gives the same answer each run.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from validator.policy.kyverno.jp_arith import format_duration
from validator.policy.kyverno.jp_signature import signature
from validator.policy.kyverno.values import parse_duration

STR: dict[str, Any] = {"types": ["string"]}
CLOCK: list[Callable[[], datetime.datetime]] = [lambda: datetime.datetime.now(datetime.UTC)]

# Go reference-time tokens → strftime directives, longest first.
_GO_TOKENS = (
    ("2006", "%Y"),
    ("January", "%B"),
    ("Monday", "%A"),
    ("Z07:00", "%z"),
    ("-07:00", "%z"),
    ("-0700", "%z"),
    ("MST", "%Z"),
    ("Jan", "%b"),
    ("Mon", "%a"),
    ("01", "%m"),
    ("02", "%d"),
    ("15", "%H"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("06", "%y"),
    ("PM", "%p"),
    (".000000000", ".%f"),
    (".000000", ".%f"),
    (".000", ".%f"),
    ("_2", "%d"),
    ("1", "%m"),
    ("2", "%d"),
    ("3", "%I"),
    ("4", "%M"),
    ("5", "%S"),
)


class TimeError(ValueError):
    pass


def _now() -> datetime.datetime:
    return CLOCK[0]()


def parse_rfc3339(text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimeError(f"cannot parse {text!r} as an RFC 3339 time") from None
    if value.tzinfo is None or not re.match(r"^\d{4}-\d\d-\d\dT", text):
        raise TimeError(f"cannot parse {text!r} as an RFC 3339 time")
    return value


def format_rfc3339(value: datetime.datetime) -> str:
    text = value.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def _strptime_format(layout: str) -> str:
    out, position = "", 0
    while position < len(layout):
        for token, directive in _GO_TOKENS:
            if layout.startswith(token, position):
                out += directive
                position += len(token)
                break
        else:
            out += layout[position].replace("%", "%%")
            position += 1
    return out


def parse_layout(layout: str, text: str) -> datetime.datetime:
    if not layout:
        return parse_rfc3339(text)
    if layout == "2006-01-02T15:04:05Z07:00":
        return parse_rfc3339(text)
    if layout.isdigit() or (re.fullmatch(r"\d+", text or "") and layout.isdigit()):
        return datetime.datetime.fromtimestamp(int(text), datetime.UTC)
    try:
        value = datetime.datetime.strptime(text.replace("Z", "+0000"), _strptime_format(layout))
    except ValueError:
        raise TimeError(f"cannot parse {text!r} with layout {layout!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _nanos(delta: datetime.timedelta) -> Fraction:
    micros = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
    return Fraction(micros * 1000)


def _duration(text: str) -> datetime.timedelta:
    try:
        nanos = parse_duration(text)
    except ValueError:
        raise TimeError(f"invalid duration {text!r}") from None
    return datetime.timedelta(microseconds=float(nanos / 1000))


class TimeFunctions:
    @signature(STR, STR, STR)
    def _func_time_since(self, layout: str, start: str, end: str) -> str:
        first = parse_layout(layout, start)
        second = parse_layout(layout, end) if end else _now()
        return format_duration(_nanos(second - first))

    @signature()
    def _func_time_now(self) -> str:
        return format_rfc3339(_now())

    @signature()
    def _func_time_now_utc(self) -> str:
        return format_rfc3339(_now().astimezone(datetime.UTC))

    @signature(STR)
    def _func_time_utc(self, text: str) -> str:
        return format_rfc3339(parse_rfc3339(text).astimezone(datetime.UTC))

    @signature(STR, STR)
    def _func_time_diff(self, start: str, end: str) -> str:
        return format_duration(_nanos(parse_rfc3339(end) - parse_rfc3339(start)))

    @signature(STR, STR)
    def _func_time_add(self, text: str, duration: str) -> str:
        return format_rfc3339(parse_rfc3339(text) + _duration(duration))

    @signature(STR, STR)
    def _func_time_truncate(self, text: str, duration: str) -> str:
        value, step = parse_rfc3339(text), _duration(duration)
        if step.total_seconds() <= 0:
            return format_rfc3339(value)
        epoch = datetime.datetime(1, 1, 1, tzinfo=value.tzinfo)  # Go truncates from year 1
        return format_rfc3339(value - ((value - epoch) % step))

    @signature(STR, STR)
    def _func_time_parse(self, layout: str, text: str) -> str:
        return format_rfc3339(parse_layout(layout, text))

    @signature(STR)
    def _func_time_to_cron(self, text: str) -> str:
        value = parse_rfc3339(text).astimezone(datetime.UTC)
        weekday = (value.weekday() + 1) % 7
        return f"{value.minute} {value.hour} {value.day} {value.month} {weekday}"

    @signature(STR, STR)
    def _func_time_before(self, first: str, second: str) -> bool:
        return parse_rfc3339(first) < parse_rfc3339(second)

    @signature(STR, STR)
    def _func_time_after(self, first: str, second: str) -> bool:
        return parse_rfc3339(first) > parse_rfc3339(second)

    @signature(STR, STR, STR)
    def _func_time_between(self, text: str, start: str, end: str) -> bool:
        value = parse_rfc3339(text)
        return parse_rfc3339(start) < value < parse_rfc3339(end)
