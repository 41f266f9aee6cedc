"""Derive the JSON pointer a failed validation is about, from its checked AST and the object.

The field chains an expression reads (`object.spec.hostNetwork`, through `cel.bind` variables
and `cond ? a : b` alternatives) are resolved against the object; for `list.all(x, ...)` the
failing element is found by re-checking the validation with that list cut down to one element.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from validator.policy.cel_ast import Node, walk

Chain = tuple[Any, ...]
Scope = Mapping[str, list[Chain]]
_ROOT = "object"


def _chains(node: Node, scope: Scope) -> list[Chain]:
    if node.kind == "ident":
        return [()] if node.name == _ROOT else list(scope.get(node.name, []))
    if node.kind == "select" and node.children:
        return [(*c, node.name) for c in _chains(node.children[0], scope)]
    if node.kind != "call":
        return []
    args = node.children
    if node.name in ("_[_]", "_[?_]", "_?._") and len(args) == 2 and args[1].kind == "const":
        return [(*c, args[1].value) for c in _chains(args[0], scope)]
    if node.name == "_?_:_" and len(args) == 3:
        return _chains(args[1], scope) + _chains(args[2], scope)
    if node.name == "_+_" and len(args) == 2:
        return _chains(args[0], scope) + _chains(args[1], scope)
    if node.name in ("orValue", "value") and node.has_target:
        return _chains(args[0], scope)
    return []


def _is_bind(node: Node) -> bool:
    return node.kind == "comprehension" and node.children[0].kind == "list"


def _scope(ast: Node) -> dict[str, list[Chain]]:
    scope: dict[str, list[Chain]] = {}
    for node in walk(ast):  # parents first: outer bindings resolve before inner ones use them
        if _is_bind(node):
            scope[node.name] = _chains(node.children[1], scope)
    return scope


def _lookup(body: Any, chain: Chain) -> tuple[int, Any]:
    """How many leading segments exist, and the value at the deepest existing one."""
    current = body
    for depth, segment in enumerate(chain):
        if isinstance(current, dict | Mapping):  # dict first: no ABC check for the usual case
            found = segment in current
        else:
            index = isinstance(segment, int) and isinstance(current, list)
            found = index and segment < len(current)
        if not found:
            return depth, current
        current = current[segment]
    return len(chain), current


def _best(body: Any, maximal: Sequence[Chain]) -> Chain | None:
    """The chain reaching deepest into the object, with the fewest missing segments."""

    def score(chain: Chain) -> tuple[int, int, str]:
        found, _ = _lookup(body, chain)
        return found, found - len(chain), pointer(chain)

    return max(maximal, key=score) if maximal else None


def _maximal(chains: Sequence[Chain]) -> tuple[Chain, ...]:
    """Chains that are prefixes of another are dropped, so a test of a missing field
    (`spec.?serviceAccountName`) points at that field rather than at its parent."""
    unique = set(chains)
    return tuple(c for c in unique if not any(o != c and o[: len(c)] == c for o in unique))


@lru_cache(maxsize=4096)  # a policy's chains are few and asked for every finding
def pointer(chain: Chain) -> str:
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in chain)


def _replace(body: Any, chain: Chain, value: Any) -> Any:
    if not chain:
        return value
    head, rest = chain[0], chain[1:]
    if isinstance(body, Mapping):
        return {**body, head: _replace(body[head], rest, value)}
    copy = list(body)
    copy[head] = _replace(copy[head], rest, value)
    return copy


def _first_loop(ast: Node) -> Node | None:
    return next((n for n in walk(ast) if n.kind == "comprehension" and not _is_bind(n)), None)


@dataclass(frozen=True, slots=True)
class _Analysis:
    """What an expression reads, worked out once per expression rather than per object."""

    chains: tuple[Chain, ...]  # the maximal field chains, for the non-loop case
    loop_lists: tuple[Chain, ...]  # the chains the first list loop iterates over
    loop_inner: tuple[Chain, ...]  # maximal chains inside that loop, relative to its element


_ANALYSES: dict[int, tuple[Node, _Analysis]] = {}


def _analysis(ast: Node) -> _Analysis:
    cached = _ANALYSES.get(id(ast))
    if cached is not None and cached[0] is ast:
        return cached[1]
    scope = _scope(ast)
    chains = tuple(c for n in walk(ast) if n.kind in ("select", "call") for c in _chains(n, scope))
    loop = _first_loop(ast)
    lists: tuple[Chain, ...] = ()
    inner: tuple[Chain, ...] = ()
    if loop is not None:
        lists = tuple(_chains(loop.children[0], scope))
        element_scope = {**scope, loop.iter_var: [()]}
        inner = tuple(
            c
            for n in walk(loop.children[3])
            if n.kind in ("select", "call")
            for c in _chains(n, element_scope)
        )
    analysis = _Analysis(
        _maximal([c for c in chains if c]), lists, _maximal([c for c in inner if c])
    )
    _ANALYSES[id(ast)] = (ast, analysis)
    return analysis


def derive_path(ast: Node, body: Mapping[str, Any], fails: Callable[[Any], bool]) -> str | None:
    """`fails(modified_object)` re-checks the validation; it is called only for list loops.
    `body` itself is known to fail the validation (callers derive paths of denials only)."""
    analysis = _analysis(ast)
    if analysis.loop_lists:
        found = _loop_path(analysis, body, fails)
        if found is not None:
            return found
    best = _best(body, analysis.chains)
    return pointer(best) if best else None


def _loop_path(
    analysis: _Analysis, body: Mapping[str, Any], fails: Callable[[Any], bool]
) -> str | None:
    values = {c: _value(body, c) for c in analysis.loop_lists}
    lists = [c for c in analysis.loop_lists if isinstance(values[c], list)]
    for chain in lists:
        others = [c for c in lists if c != chain]
        # One element and the other lists already empty: the candidate is the object itself,
        # which is known to fail, so the check is not evaluated again.
        unchanged = len(values[chain]) == 1 and not any(values[o] for o in others)
        for index, element in enumerate(values[chain]):
            candidate: Any = body
            for other in others:
                candidate = _replace(candidate, other, [])
            if unchanged or fails(_replace(candidate, chain, [element])):
                rest = _best(element, analysis.loop_inner)
                return pointer(chain + (index,) + (rest or ()))
    best = _best(body, _maximal(lists))
    return pointer(best) if best else None


def _value(body: Any, chain: Chain) -> Any:
    found, value = _lookup(body, chain)
    return value if found == len(chain) else None
