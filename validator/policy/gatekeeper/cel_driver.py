"""A template's K8sNativeValidation, run by the project's CEL engine as Gatekeeper's CEL driver.

Gatekeeper builds a ValidatingAdmissionPolicy whose params are the constraint, and prepends two
variables (`k8scel/transform/cel_snippets.go`): `params` = the constraint's spec.parameters or
null, `anyObject` = oldObject on a DELETE without object, else object.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from validator.policy.cel_env import CelEnvironment
from validator.policy.compiled import CompiledPolicy, compile_policy
from validator.policy.context import request_object
from validator.policy.documents import MatchResources, Policy
from validator.policy.errors import PolicyError
from validator.policy.evaluator import Decision, evaluate
from validator.policy.gatekeeper.template import Template
from validator.policy.k8s_library_net import authorizer_value
from validator.policy.matching import RequestInfo
from validator.policy.paths import derive_path

PARAMS = "!has(params.spec) ? null : !has(params.spec.parameters) ? null : params.spec.parameters"
ANY_OBJECT = (
    'has(request.operation) && request.operation == "DELETE" && object == null ? oldObject : object'
)
_USER = {"username": "gator", "groups": []}
_HAS_VARIABLE = re.compile(r"has\(\s*variables\.([A-Za-z_]\w*)\s*\)")


def _declared_true(expression: str, names: set[str]) -> str:
    """`has(variables.x)` is true for a declared variable in Kubernetes; the project's CEL
    engine inlines variables, where has() of an inlined value would not compile."""
    return _HAS_VARIABLE.sub(lambda m: "true" if m.group(1) in names else m.group(0), expression)


class CelDriver:
    def __init__(self, template: Template, cel_env: CelEnvironment) -> None:
        cel = template.cel
        if cel is None:
            raise PolicyError(f"{template.source}: template {template.name!r} has no CEL")
        variables = {"params": PARAMS, "anyObject": ANY_OBJECT, **dict(cel.variables)}
        names = set(variables)
        policy = Policy(
            name=template.name,
            kind="ValidatingAdmissionPolicy",
            match=MatchResources(),
            validations=tuple(
                dataclasses.replace(v, expression=_declared_true(v.expression, names))
                for v in cel.validations
            ),
            match_conditions=tuple((n, _declared_true(e, names)) for n, e in cel.match_conditions),
            variables={n: _declared_true(e, names) for n, e in variables.items()},
            failure_policy=cel.failure_policy,
            source=template.source,
        )
        self.cel_env = cel_env
        self.compiled: CompiledPolicy = compile_policy(policy, cel_env)
        if self.compiled.compile_error:
            where = f"{template.source}: ConstraintTemplate {template.name!r}"
            raise PolicyError(f"{where}: {self.compiled.compile_error}")

    def activation(
        self,
        info: RequestInfo,
        body: Mapping[str, Any] | None,
        old: Mapping[str, Any] | None,
        constraint: Mapping[str, Any],
        namespace: Mapping[str, Any] | None,
    ) -> Any:
        return self.cel_env.activation(
            {
                "object": body,
                "oldObject": old,
                "params": constraint,
                "request": request_object(info, _USER),
                "namespaceObject": namespace,
                "authorizer": authorizer_value(True),
            }
        )

    def decisions(self, activation: Any) -> tuple[Decision, ...]:
        """Failed validations and errors; empty when it passes or a matchCondition is false."""
        result = evaluate(self.compiled, activation)
        if result.skipped:
            return ()
        if self.compiled.policy.failure_policy == "Ignore":
            return tuple(d for d in result.decisions if d.kind == "deny")
        return result.decisions

    def path(self, decision: Decision, body: Mapping[str, Any], again: Any) -> str | None:
        """The field a failed validation is about; `again(obj)` re-checks on a modified object."""
        if decision.validation is None or decision.kind != "deny":
            return None
        check = decision.validation.check

        def fails(modified: Any) -> bool:
            return check.evaluate(again(modified)).value is False

        return derive_path(check.ast, body, fails)
