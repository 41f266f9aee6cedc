"""Turn jsonschema-rs errors into sentences a person understands, never a schema dump.

Values are quoted only where they cannot be secrets: never for a Secret, never under fields whose
names suggest credentials or free-form data (env values, ConfigMap data, tokens, keys ...).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import jsonschema_rs

from validator.schema.paths import PathPart, json_pointer, prefixed

_SENSITIVE_FIELDS = frozenset(
    {"data", "stringdata", "binarydata", "env", "value", "args", "command"}
)
_SENSITIVE_WORDS = ("secret", "password", "passwd", "token", "key", "cred", "auth")
_SENSITIVE_KINDS = frozenset({"Secret"})
_MAX_SHOWN_VALUE = 40

_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _expected(types: Sequence[str]) -> str:
    wanted = [_TYPE_NAMES.get(t, t) for t in types if t != "null"] or ["null"]
    return " or ".join(wanted)


def _may_hold_secret(kind: str, parts: Sequence[PathPart]) -> bool:
    if kind in _SENSITIVE_KINDS:
        return True
    lowered = [part.lower() for part in parts if isinstance(part, str)]
    return any(
        part in _SENSITIVE_FIELDS or any(word in part for word in _SENSITIVE_WORDS)
        for part in lowered
    )


def _shown(value: Any, kind: str, parts: Sequence[PathPart]) -> str | None:
    """A short rendering of a scalar value, or None when it must not (or cannot) be shown."""
    if _may_hold_secret(kind, parts) or isinstance(value, dict | list):
        return None
    if value is None:
        return "null"
    text = repr(value) if isinstance(value, str) else str(value).lower()
    return text if len(text) <= _MAX_SHOWN_VALUE else None


def _subject(value: Any, kind: str, parts: Sequence[PathPart]) -> str:
    shown = _shown(value, kind, parts)
    return shown if shown is not None else f"the value ({type_name(value)})"


def _branch_types(context: list[list[jsonschema_rs.ValidationError]]) -> list[str] | None:
    """The union of expected types when every `oneOf`/`anyOf` branch failed only on type."""
    types: list[str] = []
    for branch in context:
        if not branch or not all(
            isinstance(e.kind, jsonschema_rs.ValidationErrorKind.Type) for e in branch
        ):
            return None
        for error in branch:
            types.extend(t for t in getattr(error.kind, "types", []) if t not in types)
    return types


def describe(error: jsonschema_rs.ValidationError, kind: str) -> Iterator[tuple[str, str]]:
    """(JSON pointer, message) pairs for one validation error; unknown fields yield one each."""
    parts: list[PathPart] = list(error.instance_path)
    value = error.instance
    detail = error.kind
    kinds = jsonschema_rs.ValidationErrorKind
    if isinstance(detail, kinds.AdditionalProperties | kinds.UnevaluatedProperties):
        for field in detail.unexpected:
            yield json_pointer([*parts, field]), prefixed(parts, f"unknown field {field!r}")
        return
    if isinstance(detail, kinds.Required):
        yield json_pointer(parts), prefixed(parts, f"missing required field {detail.property!r}")
        return
    yield json_pointer(parts), prefixed(parts, _sentence(detail, value, kind, parts))


def _sentence(detail: Any, value: Any, kind: str, parts: Sequence[PathPart]) -> str:
    kinds = jsonschema_rs.ValidationErrorKind
    subject = _subject(value, kind, parts)
    if isinstance(detail, kinds.Type):
        return f"{subject} is not {_expected(detail.types)}"
    if isinstance(detail, kinds.OneOfNotValid | kinds.AnyOf):
        types = _branch_types(detail.context)
        if types:
            return f"{subject} is not {_expected(types)}"
        return f"{subject} does not match any of the allowed forms"
    if isinstance(detail, kinds.OneOfMultipleValid):
        return f"{subject} matches more than one of the allowed forms"
    if isinstance(detail, kinds.Enum):
        options = ", ".join(repr(option) for option in detail.options[:10])
        return f"{subject} is not one of {options}"
    if isinstance(detail, kinds.Constant):
        return f"{subject} must be {detail.expected_value!r}"
    return f"{subject} {_limit_sentence(detail)}"


def _limit_sentence(detail: Any) -> str:
    kinds = jsonschema_rs.ValidationErrorKind
    table: list[tuple[Any, str]] = [
        (kinds.Pattern, "does not match the pattern {pattern!r}"),
        (kinds.Format, "is not a valid {format}"),
        (kinds.MaxLength, "is longer than {limit} characters"),
        (kinds.MinLength, "is shorter than {limit} characters"),
        (kinds.Maximum, "is greater than {limit}"),
        (kinds.Minimum, "is less than {limit}"),
        (kinds.ExclusiveMaximum, "must be less than {limit}"),
        (kinds.ExclusiveMinimum, "must be greater than {limit}"),
        (kinds.MaxItems, "has more than {limit} items"),
        (kinds.MinItems, "has fewer than {limit} items"),
        (kinds.MaxProperties, "has more than {limit} fields"),
        (kinds.MinProperties, "has fewer than {limit} fields"),
        (kinds.MultipleOf, "is not a multiple of {multiple_of}"),
        (kinds.UniqueItems, "has duplicate items"),
    ]
    for error_kind, template in table:
        if isinstance(detail, error_kind):
            fields = {name: getattr(detail, name) for name in error_kind.__match_args__}
            return template.format(**fields)
    return f"is invalid ({detail.name})"
