"""A policy compiled once for one Kubernetes version: every expression checked up front."""

from __future__ import annotations

from dataclasses import dataclass

from validator.policy.cel_env import CelEnvironment, CompiledExpression
from validator.policy.documents import Policy, Validation
from validator.policy.errors import CelCompileError


@dataclass(frozen=True, slots=True)
class CompiledValidation:
    spec: Validation
    check: CompiledExpression
    message: CompiledExpression | None


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    policy: Policy
    match_conditions: tuple[tuple[str, CompiledExpression], ...] = ()
    validations: tuple[CompiledValidation, ...] = ()
    audit_annotations: tuple[tuple[str, CompiledExpression], ...] = ()
    compile_error: str | None = None

    @property
    def name(self) -> str:
        return self.policy.name


def compile_policy(policy: Policy, env: CelEnvironment) -> CompiledPolicy:
    """A compile error does not abort: it becomes the policy's error decision (failurePolicy)."""
    if policy.kind == "ValidatingPolicy":
        env = env.for_kyverno()
    try:
        variables = policy.variables
        for expression in variables.values():
            env.compile(expression, variables)  # a broken variable is an error even if unused
        conditions = tuple((name, env.compile(expr)) for name, expr in policy.match_conditions)
        validations = tuple(
            CompiledValidation(
                spec=v,
                check=env.compile(v.expression, variables),
                message=env.compile(v.message_expression, variables)
                if v.message_expression
                else None,
            )
            for v in policy.validations
        )
        audits = tuple(
            (key, env.compile(expr, variables)) for key, expr in policy.audit_annotations
        )
    except CelCompileError as error:
        return CompiledPolicy(policy=policy, compile_error=str(error))
    return CompiledPolicy(
        policy=policy,
        match_conditions=conditions,
        validations=validations,
        audit_annotations=audits,
    )
