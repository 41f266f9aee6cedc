"""Source-level rewrites applied before compiling a policy expression.

* `variables.NAME` is inlined with `cel.bind`, so every expression of a policy evaluates against
  the single per-object activation (no activation per policy) and a variable is computed only by
  the expressions that use it — an erroring, unused variable fails nothing, as in the API server.
* Kubernetes library calls that return optionals get a `.?key` suffix (see k8s_library_net).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

_STRING = re.compile(
    r"""[rRbB]{0,2}(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")"""
)
_VARIABLE = re.compile(r"(?<![\w.])variables\.([A-Za-z_][A-Za-z0-9_]*)")
_OPTIONAL_CALLS = ((re.compile(r"\.validate\("), ".?e"), (re.compile(r"\bformat\.named\("), ".?f"))

BOUND_PREFIX = "__var_"


def _string_spans(source: str) -> list[tuple[int, int]]:
    return [m.span() for m in _STRING.finditer(source)]


def _in_spans(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def referenced_variables(source: str) -> list[str]:
    spans = _string_spans(source)
    names = (m.group(1) for m in _VARIABLE.finditer(source) if not _in_spans(m.start(), spans))
    return list(dict.fromkeys(names))


def rewrite_code(
    source: str, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
) -> str:
    """`pattern.sub(replace, source)`, leaving string literals untouched."""
    spans = _string_spans(source)

    def outside_strings(match: re.Match[str]) -> str:
        return match.group(0) if _in_spans(match.start(), spans) else replace(match)

    return pattern.sub(outside_strings, source)


def _rename_variables(source: str) -> str:
    return rewrite_code(source, _VARIABLE, lambda m: BOUND_PREFIX + m.group(1))


def _closing_paren(source: str, opening: int, spans: Sequence[tuple[int, int]]) -> int:
    depth = 0
    for index in range(opening, len(source)):
        if _in_spans(index, spans):
            continue
        if source[index] == "(":
            depth += 1
        elif source[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def add_optional_suffixes(source: str) -> str:
    for pattern, suffix in _OPTIONAL_CALLS:
        inserts: list[int] = []
        spans = _string_spans(source)
        for match in pattern.finditer(source):
            if not _in_spans(match.start(), spans):
                close = _closing_paren(source, match.end() - 1, spans)
                if close >= 0:
                    inserts.append(close + 1)
        for position in reversed(inserts):
            source = source[:position] + suffix + source[position:]
    return source


def inline_variables(source: str, definitions: Mapping[str, str]) -> str:
    """Wrap `source` in `cel.bind`s for the variables it uses, transitively, in definition order."""
    needed: set[str] = set()
    pending = [name for name in referenced_variables(source) if name in definitions]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending.extend(n for n in referenced_variables(definitions[name]) if n in definitions)
    body = _rename_variables(source)
    for name in reversed([n for n in definitions if n in needed]):
        value = _rename_variables(definitions[name])
        body = f"cel.bind({BOUND_PREFIX}{name}, ({value}), ({body}))"
    return body


def rename_only(source: str) -> str:
    """The expression with `variables.x` renamed to the bound name, for a caller that binds."""
    return _rename_variables(add_optional_suffixes(source))


_OR_CALL = re.compile(r"\.(orValue|or)\(")
_OPENING = {")": "(", "]": "["}


def _receiver_start(source: str, end: int, spans: Sequence[tuple[int, int]]) -> int:
    """Where the member-call receiver ending just before `end` starts (a selection chain)."""
    index = end - 1
    while index >= 0:
        char = source[index]
        if _in_spans(index, spans):
            index -= 1
        elif char in _OPENING:
            depth = 0
            while index >= 0:
                if not _in_spans(index, spans):
                    if source[index] == char:
                        depth += 1
                    elif source[index] == _OPENING[char]:
                        depth -= 1
                        if depth == 0:
                            break
                index -= 1
            index -= 1
        elif char.isalnum() or char in "_.?":
            index -= 1
        else:
            break
    return index + 1


def _optional_text(receiver: str, definitions: Mapping[str, str]) -> bool:
    if "?" in receiver or receiver.startswith("optional.") or ".optional" in receiver:
        return True
    match = re.match(r"variables\.([A-Za-z_]\w*)$", receiver)
    if match and match.group(1) in definitions:
        return _optional_text(definitions[match.group(1)].strip(), definitions)
    return False


def wrap_plain_or_value(source: str, definitions: Mapping[str, str]) -> str:
    """cel-go returns the receiver of `x.orValue(y)` / `x.or(y)` when x is a plain value;
    cel-expr-python has no such overload, so a receiver written without `?` becomes
    `optional.of(x)`."""
    spans = _string_spans(source)
    edits: list[tuple[int, int]] = []
    for match in _OR_CALL.finditer(source):
        if _in_spans(match.start(), spans):
            continue
        start = _receiver_start(source, match.start(), spans)
        receiver = source[start : match.start()]
        if receiver and not _optional_text(receiver, definitions):
            edits.append((start, match.start()))
    for start, end in reversed(edits):
        source = f"{source[:start]}optional.of({source[start:end]}){source[end:]}"
    return source
