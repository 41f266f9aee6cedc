"""The API server's decision algorithm for one (policy, binding, param) and one object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validator.policy.cel_env import CompiledExpression
from validator.policy.compiled import CompiledPolicy, CompiledValidation

MAX_MESSAGE_BYTES = 5 * 1024


@dataclass(frozen=True, slots=True)
class Decision:
    """One reason an object is not admitted: a failed validation or an evaluation error."""

    kind: str  # deny | error
    message: str
    validation: CompiledValidation | None = None
    reason: str = "Invalid"


@dataclass(frozen=True, slots=True)
class Evaluated:
    """skipped: a matchCondition was false, so the policy does not apply to this object."""

    decisions: tuple[Decision, ...] = ()
    skipped: bool = False
    audit_annotations: Mapping[str, str] | None = None


def evaluate(compiled: CompiledPolicy, activation: Any) -> Evaluated:
    if compiled.compile_error:
        return Evaluated(decisions=(Decision("error", compiled.compile_error),))
    condition_errors = []
    for name, condition in compiled.match_conditions:
        result = condition.evaluate(activation)
        if result.error is not None:
            condition_errors.append(f"matchCondition {name!r}: {result.error}")
        elif result.value is not True:
            if result.value is False:
                return Evaluated(skipped=True)
            condition_errors.append(f"matchCondition {name!r} must evaluate to bool")
    if condition_errors:
        return Evaluated(decisions=(Decision("error", "; ".join(condition_errors)),))
    decisions = [d for v in compiled.validations if (d := _validate(v, activation)) is not None]
    audits, audit_errors = _audit_annotations(compiled, activation)
    decisions.extend(Decision("error", message) for message in audit_errors)
    return Evaluated(decisions=tuple(decisions), audit_annotations=audits)


def _validate(validation: CompiledValidation, activation: Any) -> Decision | None:
    result = validation.check.evaluate(activation)
    if result.error is not None:
        return Decision(
            "error",
            f"expression {validation.spec.expression!r} resulted in error: {result.error}",
            validation,
        )
    if not isinstance(result.value, bool):
        return Decision(
            "error", f"expression {validation.spec.expression!r} must evaluate to bool", validation
        )
    if result.value:
        return None
    return Decision(
        "deny",
        _message(validation, activation),
        validation,
        reason=validation.spec.reason or "Invalid",
    )


def _message(validation: CompiledValidation, activation: Any) -> str:
    """messageExpression, else message, else "failed expression: <expr>" (API server order)."""
    if validation.message is not None:
        text = _string_result(validation.message, activation)
        if text:
            return text
    if validation.spec.message and validation.spec.message.strip():
        return validation.spec.message.strip()
    return f"failed expression: {validation.spec.expression}"


def _string_result(expression: CompiledExpression, activation: Any) -> str | None:
    result = expression.evaluate(activation)
    if result.error is not None or not isinstance(result.value, str):
        return None
    text = result.value.strip()
    if not text or "\n" in text or len(text.encode()) > MAX_MESSAGE_BYTES:
        return None
    return text


def _audit_annotations(
    compiled: CompiledPolicy, activation: Any
) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    errors: list[str] = []
    for key, expression in compiled.audit_annotations:
        result = expression.evaluate(activation)
        if result.error is not None:
            errors.append(f"auditAnnotation {key!r}: {result.error}")
        elif isinstance(result.value, str):
            if result.value:
                values[f"{compiled.name}/{key}"] = result.value[: 10 * 1024]
        elif result.value is not None:
            errors.append(f"auditAnnotation {key!r} must evaluate to string or null")
    return values, errors
