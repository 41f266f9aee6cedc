"""Flux postBuild variable substitution (kustomize-controller's envsubst fork), offline.

Supported: `${var}`, `${var:-default}`, `${var-default}`, `${var:=default}`, `${var=default}`,
`${#var}`, `${var:offset[:length]}`, case (`^^ ,, ^ ,`), trims (`# ## % %%`), replace
(`/ //`), and `$${var}` → `${var}`. A bare `$var` is left alone, as Flux leaves it. A variable
that is undefined and has no default operator is *unresolved*: Flux (strict by default since
2.9) fails the Kustomization; here it becomes empty and is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

VAR_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_DEFAULT_OPS = (":-", ":=", "-", "=")
_OPERATORS = ("^", ",", "#", "%", "/", ":")


@dataclass
class Substitution:
    text: str
    unresolved: list[str] = field(default_factory=list)  # variable names, in order of use


def substitute(text: str, variables: Mapping[str, str]) -> Substitution:
    result = Substitution("")
    result.text = _expand(text, variables, result.unresolved)
    return result


def _expand(text: str, variables: Mapping[str, str], unresolved: list[str]) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        following = text[index + 1]
        if following == "$":
            out.append("$")  # `$$` escapes: `$${x}` stays `${x}` for whatever reads it later
            index += 2
        elif following == "{":
            end = _closing_brace(text, index + 2)
            if end < 0:
                out.append(text[index:])
                break
            out.append(_evaluate(text[index + 2 : end], variables, unresolved))
            index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for position in range(start, len(text)):
        if text[position] == "{":
            depth += 1
        elif text[position] == "}":
            depth -= 1
            if depth == 0:
                return position
    return -1


_EXPRESSION = re.compile(r"^(#?)([_a-zA-Z][_a-zA-Z0-9]*)(.*)$", re.DOTALL)


def _evaluate(expression: str, variables: Mapping[str, str], unresolved: list[str]) -> str:
    match = _EXPRESSION.match(expression)
    if match is None:
        return "${" + expression + "}"  # not a variable expression: left as written
    length, name, rest = match.groups()
    defined = name in variables
    value = variables.get(name, "")
    for op in _DEFAULT_OPS:
        if rest.startswith(op):
            use_default = not defined or (op.startswith(":") and value == "")
            return _expand(rest[len(op) :], variables, unresolved) if use_default else value
    if rest and not rest.startswith(_OPERATORS):
        return "${" + expression + "}"  # not an expression envsubst knows: left as written
    if not defined:
        unresolved.append(name)
    if length:
        return str(len(value))
    return _modified(value, rest, variables, unresolved)


def _modified(value: str, rest: str, variables: Mapping[str, str], unresolved: list[str]) -> str:
    if not rest:
        return value
    argument = _expand(rest.lstrip("^,#%/:"), variables, unresolved)
    operators: list[tuple[str, Callable[[], str]]] = [
        ("^^", value.upper),
        (",,", value.lower),
        ("^", lambda: value[:1].upper() + value[1:]),
        (",", lambda: value[:1].lower() + value[1:]),
        ("##", lambda: value.removeprefix(_expand(rest[2:], variables, unresolved))),
        ("#", lambda: value.removeprefix(argument)),
        ("%%", lambda: value.removesuffix(_expand(rest[2:], variables, unresolved))),
        ("%", lambda: value.removesuffix(argument)),
        ("//", lambda: _replace(value, rest[2:], variables, unresolved, every=True)),
        ("/", lambda: _replace(value, rest[1:], variables, unresolved, every=False)),
        (":", lambda: _substring(value, rest[1:])),
    ]
    for operator, apply in operators:
        if rest.startswith(operator):
            return apply()
    return value


def _replace(
    value: str, argument: str, variables: Mapping[str, str], unresolved: list[str], *, every: bool
) -> str:
    old, _, new = argument.partition("/")
    old, new = _expand(old, variables, unresolved), _expand(new, variables, unresolved)
    if not old:
        return value
    return value.replace(old, new) if every else value.replace(old, new, 1)


def _substring(value: str, argument: str) -> str:
    offset_text, _, length_text = argument.partition(":")
    try:
        offset = int(offset_text.strip() or 0)
        length = int(length_text) if length_text.strip() else None
    except ValueError:
        return value
    start = max(0, len(value) + offset) if offset < 0 else offset
    return value[start:] if length is None else value[start : start + length]
