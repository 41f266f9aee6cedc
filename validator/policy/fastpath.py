"""Evaluate many simple policies with one CEL call per object.

Most objects pass most policies, and a Python round trip per (policy, validation, object) costs
more than the CEL work itself. Policies whose match depends only on the request's resource
(no selectors, resourceNames, matchConditions, params or bindings) are grouped per request
kind; their validations are compiled into one list-valued program. Only when that program
errors or one entry is not `true` does the object take the per-policy path, which produces
messages, paths and findings exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel  # type: ignore[import-untyped, unused-ignore]

from validator.policy.binding_eval import ObjectContext, policy_matches
from validator.policy.cel_env import CelEnvironment
from validator.policy.cel_source import BOUND_PREFIX, rename_only
from validator.policy.compiled import CompiledPolicy
from validator.policy.documents import Binding
from validator.policy.errors import CelCompileError

GroupKey = tuple[str, str, str, str, bool]


def eligible(compiled: CompiledPolicy, bindings: Mapping[str, Sequence[Binding]]) -> bool:
    policy, match = compiled.policy, compiled.policy.match
    return (
        compiled.compile_error is None
        and not bindings.get(policy.name)
        and policy.param_kind is None
        and not policy.match_conditions
        and not policy.audit_annotations
        and not match.namespace_selector
        and not match.object_selector
        and not any(r.resource_names for r in (*match.resource_rules, *match.exclude_rules))
    )


@dataclass(frozen=True, slots=True)
class _Group:
    program: Any  # None when nothing in the group has validations
    members: frozenset[int]  # id() of the eligible policies that match this request kind
    spans: tuple[tuple[int, int, int], ...] = ()  # (policy id, first, end) result indices


def _shared_variables(members: Sequence[CompiledPolicy]) -> dict[str, str]:
    """Variables every member that defines them defines identically: computed once per object."""
    seen: dict[str, str] = {}
    conflicting: set[str] = set()
    for compiled in members:
        for name, expression in compiled.policy.variables.items():
            if seen.setdefault(name, expression) != expression:
                conflicting.add(name)
    return {n: e for n, e in seen.items() if n not in conflicting}


def _combined_source(members: Sequence[CompiledPolicy]) -> str:
    """The list program's source: shared variables bound once around all validations.

    A policy with a variable of its own keeps its self-contained (inlined) validations.
    """
    shared = _shared_variables(members)
    items: list[str] = []
    for compiled in members:
        own = set(compiled.policy.variables) - set(shared)
        items.extend(
            v.check.prepared if own else rename_only(v.spec.expression)
            for v in compiled.validations
        )
    body = "[" + ", ".join(f"({item})" for item in items) + "]"
    for name in reversed(list(shared)):
        body = f"cel.bind({BOUND_PREFIX}{name}, ({rename_only(shared[name])}), {body})"
    return body


class FastPath:
    def __init__(
        self,
        cel_env: CelEnvironment,
        compiled: Sequence[CompiledPolicy],
        bindings: Mapping[str, Sequence[Binding]],
    ) -> None:
        self._cel_env = cel_env
        self._eligible = [c for c in compiled if eligible(c, bindings)]
        self.eligible_ids = frozenset(id(c) for c in self._eligible)
        self._groups: dict[GroupKey, _Group] = {}

    def _group(self, ctx: ObjectContext) -> _Group:
        info = ctx.info
        key = (info.group, info.version, info.resource, info.operation, info.namespaced)
        group = self._groups.get(key)
        if group is None:
            members = [c for c in self._eligible if policy_matches(c, ctx)]
            spans, start = [], 0
            for c in members:
                spans.append((id(c), start, start + len(c.validations)))
                start += len(c.validations)
            try:
                source = _combined_source(members)
                program = self._cel_env.compile_combined(source) if members else None
            except (RuntimeError, CelCompileError):
                program, members = None, []  # the per-policy path handles them
            ids = frozenset(id(c) for c in members)
            group = self._groups[key] = _Group(program, ids, tuple(spans))
        return group

    def passed(self, ctx: ObjectContext) -> tuple[frozenset[int], frozenset[int]]:
        """(matched, passed): ids of eligible policies that match and those that surely pass."""
        group = self._group(ctx)
        if group.program is None:
            return group.members, group.members
        try:
            result = group.program.eval(ctx.activation(None, None))
        except RuntimeError:
            return group.members, frozenset()
        if result.type() == cel.Type.ERROR:
            return group.members, frozenset()
        values = result.plain_value()
        if values.count(True) == len(values):
            return group.members, group.members
        passing = frozenset(
            pid for pid, first, end in group.spans if all(v is True for v in values[first:end])
        )
        return group.members, passing
