"""Kyverno `{{ }}` variable substitution over a JSON context (pkg/engine/variables/vars.go).

A string that is exactly one variable becomes the variable's typed value; variables inside
longer strings are spliced in as text (non-strings JSON-encoded). Results are rescanned for
nested variables except with `{{- }}`; `\\{{` escapes; on DELETE `request.object` reads
`request.oldObject`. A missing key is an error (NotFoundError), never a silent empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from validator.policy.kyverno.jp import JMESPathError, NotFoundError, search

_VARIABLE = re.compile(r"(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})")
_MAX_ROUNDS = 32


class VariableError(ValueError):
    """A variable could not be resolved (message names it; never includes data values)."""


def _expression(token: str) -> tuple[str, bool]:
    inner = token[2:-2]
    shallow = inner.startswith("-")
    return (inner[1:] if shallow else inner).strip(), shallow


def resolve(expression: str, context: Mapping[str, Any], delete: bool = False) -> Any:
    if delete:
        expression = expression.replace("request.object", "request.oldObject")
    try:
        return search(expression, context)
    except NotFoundError as error:
        raise VariableError(f"variable {expression!r}: {error}") from None
    except JMESPathError as error:
        raise VariableError(str(error)) from None


def substitute_string(text: str, context: Mapping[str, Any], delete: bool = False) -> Any:
    value: Any = text
    for _ in range(_MAX_ROUNDS):
        if not isinstance(value, str):
            return value
        matches = list(_VARIABLE.finditer(value))
        if not matches:
            break
        shallow = False
        for match in matches:
            token = match.group(2)
            expression, shallow = _expression(token)
            resolved = resolve(expression, context, delete)
            if value == token:
                return resolved
            if shallow and isinstance(resolved, str):
                resolved = resolved.replace("{{", "\\{{")
            spliced = resolved if isinstance(resolved, str) else _json(resolved)
            value = value.replace(token, spliced, 1)
        if shallow:
            break
    return value.replace("\\{{", "{{") if isinstance(value, str) else value


def _json(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"))


def has_variables(document: Any) -> bool:
    if isinstance(document, str):
        return "{{" in document
    if isinstance(document, Mapping):
        return any(has_variables(k) or has_variables(v) for k, v in document.items())
    if isinstance(document, list):
        return any(has_variables(v) for v in document)
    return False


def substitute(document: Any, context: Mapping[str, Any], delete: bool = False) -> Any:
    """Every leaf string and map key of `document`, substituted (`document` itself when it
    holds no variable, so callers can cache by identity)."""
    if not isinstance(document, str) and not has_variables(document):
        return document
    if isinstance(document, str):
        return substitute_string(document, context, delete) if "{{" in document else document
    if isinstance(document, Mapping):
        out = {}
        for key, value in document.items():
            new_key = substitute(key, context, delete) if "{{" in str(key) else key
            out[str(new_key)] = substitute(value, context, delete)
        return out
    if isinstance(document, list):
        return [substitute(v, context, delete) for v in document]
    return document
