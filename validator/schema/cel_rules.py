"""`x-kubernetes-validations` of CRD schemas, evaluated with cel-expr-python.

Each rule is evaluated with `self` bound to the value at the schema node that declares it (every
item of a list, every value of a map), as the API server does. Transition rules (those that read
`oldSelf`) run only when the old object holds a correlated value; without one they are skipped,
as on create. Old values correlate through object properties, map keys and the keys of
`x-kubernetes-list-type: map` lists.

The CEL environment is CEL's standard library plus the strings and optional extensions; rules
calling Kubernetes library functions (quantity, url, ip ...) do not compile here and are
reported as not evaluated rather than guessed at.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel  # type: ignore[import-untyped, unused-ignore]
from cel_expr_python.ext import ext_optional, ext_strings  # type: ignore[import-untyped, unused-ignore]

from validator.schema.paths import PathPart, json_pointer, prefixed

_OLD_SELF = re.compile(r"\boldSelf\b")
_ABSENT = object()
_env_lock = threading.Lock()
_env: Any = None

Problem = tuple[str, str]  # (JSON pointer, message)


def _environment() -> Any:
    global _env
    with _env_lock:
        if _env is None:
            _env = cel.NewEnv(
                variables={"self": cel.Type.DYN, "oldSelf": cel.Type.DYN},
                extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional()],
            )
        return _env


def _compile(expression: str) -> tuple[Any, str | None]:
    try:
        with _env_lock:
            return _env.compile(expression), None
    except RuntimeError as error:
        return None, str(error).splitlines()[0]


@dataclass(frozen=True, slots=True)
class Rule:
    rule: str
    program: Any
    message: str | None
    message_program: Any
    field_path: str | None
    transition: bool


@dataclass(slots=True)
class RuleNode:
    rules: list[Rule] = field(default_factory=list)
    properties: dict[str, RuleNode] = field(default_factory=dict)
    items: RuleNode | None = None
    values: RuleNode | None = None  # additionalProperties
    list_map_keys: tuple[str, ...] = ()


@dataclass(slots=True)
class RuleTree:
    root: RuleNode | None
    compile_problems: list[Problem]  # pointers into the CRD version's openAPIV3Schema


def build_rule_tree(openapi: Mapping[str, Any]) -> RuleTree:
    _environment()
    problems: list[Problem] = []
    return RuleTree(_build(openapi, [], problems), problems)


def _build(node: Any, where: list[PathPart], problems: list[Problem]) -> RuleNode | None:
    if not isinstance(node, Mapping):
        return None
    built = RuleNode(list_map_keys=tuple(node.get("x-kubernetes-list-map-keys") or ()))
    for index, spec in enumerate(node.get("x-kubernetes-validations") or []):
        rule = _compile_rule(spec, [*where, "x-kubernetes-validations", index], problems)
        if rule:
            built.rules.append(rule)
    for name, child in (node.get("properties") or {}).items():
        sub = _build(child, [*where, "properties", name], problems)
        if sub:
            built.properties[name] = sub
    built.items = _build(node.get("items"), [*where, "items"], problems)
    built.values = _build(
        node.get("additionalProperties"), [*where, "additionalProperties"], problems
    )
    if built.rules or built.properties or built.items or built.values:
        return built
    return None


def _compile_rule(spec: Any, where: list[PathPart], problems: list[Problem]) -> Rule | None:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("rule"), str):
        problems.append((json_pointer(where), "validation rule has no 'rule' expression"))
        return None
    text = spec["rule"]
    program, error = _compile(text)
    if error:
        problems.append(
            (json_pointer([*where, "rule"]), f"rule {text!r} does not compile: {error}")
        )
        return None
    message_program = None
    if isinstance(spec.get("messageExpression"), str):
        message_program, error = _compile(spec["messageExpression"])
        if error:
            problems.append(
                (
                    json_pointer([*where, "messageExpression"]),
                    f"messageExpression does not compile: {error}",
                )
            )
    return Rule(
        rule=text,
        program=program,
        message=spec.get("message") if isinstance(spec.get("message"), str) else None,
        message_program=message_program,
        field_path=spec.get("fieldPath") if isinstance(spec.get("fieldPath"), str) else None,
        transition=bool(_OLD_SELF.search(text)),
    )


def evaluate(tree: RuleTree, body: Any, old_body: Any = _ABSENT) -> list[Problem]:
    """Every failed rule of `tree` on `body` (and `old_body` for transition rules)."""
    if tree.root is None:
        return []
    return list(_walk(tree.root, body, old_body, []))


def _walk(node: RuleNode, value: Any, old: Any, parts: list[PathPart]) -> Iterator[Problem]:
    if value is None:
        return
    for rule in node.rules:
        if rule.transition and old is _ABSENT:
            continue
        problem = _run(rule, value, old, parts)
        if problem:
            yield problem
    if isinstance(value, Mapping):
        old_map = old if isinstance(old, Mapping) else {}
        for name, child in node.properties.items():
            if name in value:
                yield from _walk(child, value[name], old_map.get(name, _ABSENT), [*parts, name])
        if node.values:
            for key, item in value.items():
                if key not in node.properties:
                    yield from _walk(node.values, item, old_map.get(key, _ABSENT), [*parts, key])
    elif isinstance(value, list) and node.items:
        old_items = _correlate(node.list_map_keys, old)
        for index, item in enumerate(value):
            previous = old_items.get(_item_key(node.list_map_keys, item), _ABSENT)
            yield from _walk(node.items, item, previous, [*parts, index])


def _item_key(keys: tuple[str, ...], item: Any) -> Any:
    if not keys or not isinstance(item, Mapping):
        return _ABSENT
    return tuple(str(item.get(key)) for key in keys)


def _correlate(keys: tuple[str, ...], old: Any) -> dict[Any, Any]:
    if not keys or not isinstance(old, list):
        return {}
    return {_item_key(keys, item): item for item in old}


def _run(rule: Rule, value: Any, old: Any, parts: list[PathPart]) -> Problem | None:
    data = {"self": value} if old is _ABSENT else {"self": value, "oldSelf": old}
    result = rule.program.eval(data=data)
    where = _field_parts(parts, rule.field_path)
    if result.type() == cel.Type.ERROR:
        return json_pointer(where), prefixed(
            where, f"rule {rule.rule!r} could not be evaluated: {result.value()}"
        )
    if result.value() is True:
        return None
    if result.type() != cel.Type.BOOL:
        return json_pointer(where), prefixed(where, f"rule {rule.rule!r} did not return a boolean")
    return json_pointer(where), prefixed(where, _message(rule, data))


def _message(rule: Rule, data: dict[str, Any]) -> str:
    if rule.message_program is not None:
        result = rule.message_program.eval(data=data)
        if result.type() == cel.Type.STRING and result.value().strip():
            return str(result.value())
    return rule.message or f"failed rule: {rule.rule}"


def _field_parts(parts: list[PathPart], field_path: str | None) -> list[PathPart]:
    """`fieldPath` (".spec.x", ".items[0]", "['a.b']") is relative to the rule's node."""
    if not field_path:
        return parts
    extra: list[PathPart] = []
    for token in re.findall(r"\.([^.\[]+)|\[(\d+)\]|\['([^']*)'\]", field_path):
        name, index, quoted = token
        extra.append(int(index) if index else (name or quoted))
    return [*parts, *extra]
