"""A minimal reader of the checked CEL AST that `cel-expr-python` serialises.

`Expression.serialize()` returns a `google.protobuf.Any` holding a `cel.expr.CheckedExpr`.
Decoding its wire format by hand (a few dozen lines) spares a protobuf dependency and lets the
stage see which functions an expression calls (version gating) and which fields it reads
(JSON paths for findings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


@dataclass(frozen=True, slots=True)
class Node:
    """One expression node. `kind` is ident, select, call, list, struct, comprehension or const.

    For `select` the operand is `children[0]`; for a member `call` the target is `children[0]`
    (then `has_target` is True); a comprehension's children are iter_range, accu_init,
    loop_condition, loop_step and result.
    """

    kind: str
    name: str = ""
    children: tuple[Node, ...] = ()
    has_target: bool = False
    test_only: bool = False
    iter_var: str = ""
    value: Any = None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, Any]]:
    """Split one message into (field number, raw value) pairs."""
    out: list[tuple[int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == _VARINT:
            value, pos = _varint(data, pos)
        elif wire == _LENGTH:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        elif wire == _FIXED64:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == _FIXED32:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((number, value))
    return out


def _first(fields: list[tuple[int, Any]], number: int, default: Any = None) -> Any:
    return next((value for num, value in fields if num == number), default)


def _constant(data: bytes) -> Node:
    fields = _fields(data)
    number, raw = fields[0] if fields else (1, b"")
    if number == 6:
        return Node("const", value=raw.decode())
    if number in (3, 4):
        return Node("const", value=raw)
    if number == 2:
        return Node("const", value=bool(raw))
    return Node("const")


def _expr(data: bytes) -> Node:
    for number, raw in _fields(data):
        if number == 3:
            return _constant(raw)
        if number == 4:
            return Node("ident", name=_first(_fields(raw), 1, b"").decode())
        if number == 5:
            return _select(raw)
        if number == 6:
            return _call(raw)
        if number == 7:
            return Node("list", children=tuple(_expr(v) for n, v in _fields(raw) if n == 1))
        if number == 8:
            return _struct(raw)
        if number == 9:
            return _comprehension(raw)
    return Node("const")


def _select(data: bytes) -> Node:
    fields = _fields(data)
    operand = _first(fields, 1)
    return Node(
        "select",
        name=_first(fields, 2, b"").decode(),
        children=(_expr(operand),) if operand is not None else (),
        test_only=bool(_first(fields, 3, 0)),
    )


def _call(data: bytes) -> Node:
    fields = _fields(data)
    target = _first(fields, 1)
    args = tuple(_expr(v) for n, v in fields if n == 3)
    children = ((_expr(target),) if target is not None else ()) + args
    return Node(
        "call",
        name=_first(fields, 2, b"").decode(),
        children=children,
        has_target=target is not None,
    )


def _struct(data: bytes) -> Node:
    children: list[Node] = []
    for number, raw in _fields(data):
        if number == 2:
            entry = _fields(raw)
            children.extend(_expr(v) for n, v in entry if n in (3, 4))
    return Node("struct", children=tuple(children))


def _comprehension(data: bytes) -> Node:
    fields = _fields(data)
    parts = [_first(fields, n) for n in (2, 4, 5, 6, 7)]
    return Node(
        "comprehension",
        children=tuple(_expr(p) if p is not None else Node("const") for p in parts),
        iter_var=_first(fields, 1, b"").decode(),
        name=_first(fields, 3, b"").decode(),
    )


def parse_checked(serialized: bytes) -> Node:
    """The root expression node of a serialised `Any(CheckedExpr)`."""
    outer = _fields(serialized)
    checked = _first(outer, 2, serialized)
    expr = _first(_fields(checked), 4)
    if expr is None:
        raise ValueError("serialised CEL expression has no AST")
    return _expr(expr)


def walk(node: Node) -> list[Node]:
    """Every node of the tree, depth first, parents before children."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out


def called_functions(node: Node) -> set[str]:
    return {n.name for n in walk(node) if n.kind == "call"}
