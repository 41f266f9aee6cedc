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
