"""One Kyverno validate rule against one request (pkg/engine/handlers/validation).

Order: context → preconditions (false: skip) → PolicyExceptions (skip) → one handler: cel,
deny, pattern/anyPattern or foreach. Enforce rules on UPDATE skip when the old object fails
too (allowExistingViolations, default true).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.policy.kyverno.conditions import ConditionError, evaluate_conditions
from validator.policy.kyverno.context import ContextError, load_entries
from validator.policy.kyverno.jp import JMESPathError, NotFoundError, search
from validator.policy.kyverno.pattern import match_pattern
from validator.policy.kyverno.variables import VariableError, substitute

CelRunner = Callable[[Mapping[str, Any], Mapping[str, Any]], "Response"]
_ERRORS = (ConditionError, ContextError, VariableError, JMESPathError, NotFoundError)


@dataclass(frozen=True, slots=True)
class Response:
    status: str  # pass | fail | error | skip
    message: str = ""
    path: str | None = None


@dataclass(slots=True)
class RuleRun:
    """Everything one rule evaluation reads besides the validate block."""

    name: str
    message: str
    context: dict[str, Any]
    objects: Sequence[Mapping[str, Any]]
    provided: set[str]
    responses: Mapping[str, Any]
    delete: bool
    cel: CelRunner | None = None
    element: Any = field(default=None)
    has_element: bool = False


def _fmt_path(path: str) -> str | None:
    return "/" + path.strip("/") if path else None


def _message(run: RuleRun) -> str | None:
    if not run.message:
        return ""
    try:
        text = substitute(run.message, run.context, run.delete)
    except _ERRORS:
        return None
    return text if isinstance(text, str) else str(text)


def _pattern_failure(run: RuleRun, path: str, detail: str) -> Response:
    message = _message(run)
    if message is None:
        text = f"validation error: variables substitution error in rule {run.name}: {detail}"
    elif not message:
        text = (
            f"validation error: rule {run.name} failed at path {path}"
            if path
            else f"validation error: rule {run.name} execution error: {detail}"
        )
    else:
        message = message if message.endswith(".") else message + "."
        text = (
            f"validation error: {message} rule {run.name} failed at path {path}"
            if path
            else f"validation error: {message} rule {run.name} execution error: {detail}"
        )
    return Response("fail" if path else "error", text, _fmt_path(path))


def _patterns(run: RuleRun, validate: Mapping[str, Any], resource: Any) -> Response:
    if validate.get("pattern") is not None:
        result = match_pattern(resource, validate["pattern"])
        if result.status == "pass":
            return Response("pass", f"validation rule '{run.name}' passed.")
        if result.status == "skip":
            return Response("skip", result.message)
        return _pattern_failure(run, result.path if result.status == "fail" else "", result.message)
    patterns = validate.get("anyPattern")
    if not isinstance(patterns, list):
        return Response("error", f"rule {run.name}: anyPattern must be a list")
    failed, skipped = [], []
    for index, pattern in enumerate(patterns):
        result = match_pattern(resource, pattern)
        if result.status == "pass":
            return Response("pass", f"validation rule '{run.name}' anyPattern[{index}] passed.")
        if result.status == "skip":
            skipped.append(f"rule {run.name}[{index}] skipped: {result.message}")
        elif result.status == "fail":
            failed.append(f"rule {run.name}[{index}] failed at path {result.path}")
        else:
            failed.append(f"rule {run.name}[{index}] failed: {result.message}")
    if skipped and not failed:
        return Response("skip", " ".join(skipped))
    detail = " ".join(failed)
    message = _message(run) or ""
    if message:
        detail = f"{message} {detail}" if message.endswith(".") else f"{message}. {detail}"
    return Response("fail", f"validation error: {detail}")


def _deny(run: RuleRun, deny: Mapping[str, Any]) -> Response:
    try:
        denied, detail = evaluate_conditions(deny.get("conditions"), run.context, run.delete)
    except _ERRORS as error:
        return Response("error", f"failed to check deny conditions: {error}")
    if not denied:
        return Response("pass", f"validation rule '{run.name}' passed.")
    message = "; ".join(m for m in (run.message, detail) if m)
    if not message:
        return Response("fail", f"validation error: rule {run.name} failed")
    try:
        text = substitute(message, run.context, run.delete)
    except _ERRORS:
        text = detail
    return Response("fail", text if isinstance(text, str) else str(text))


Exceptions = Callable[["RuleRun"], "Response | list[str]"]


def validate_block(
    run: RuleRun,
    block: Mapping[str, Any],
    nesting: int,
    entries: Any,
    conditions: Any,
    exceptions: Exceptions | None = None,
) -> Response | None:
    """The body of Kyverno's validator.validate for a rule (nesting 0) or a foreach element;
    `exceptions` (rule level only) names the PolicyExceptions that skip it."""
    try:
        load_entries(
            entries or [], run.context, run.objects, run.provided, run.responses, run.delete
        )
    except _ERRORS as error:
        return Response("error", f"failed to load context: {error}")
    try:
        passed, detail = evaluate_conditions(conditions, run.context, run.delete)
    except _ERRORS as error:
        return Response("error", f"failed to evaluate preconditions: {error}")
    if not passed:
        return Response("skip", "; ".join(m for m in ("preconditions not met", detail) if m))
    if exceptions is not None:
        matched = exceptions(run)
        if isinstance(matched, Response):
            return matched
        if matched:
            return Response(
                "skip", "rule is skipped due to policy exceptions " + ", ".join(matched)
            )
    if block.get("cel") is not None:
        if run.cel is None:
            return Response("error", "validate.cel is not available here")
        return run.cel(block, run.context)
    if block.get("deny") is not None:
        return _deny(run, block["deny"] or {})
    if block.get("pattern") is not None or block.get("anyPattern") is not None:
        try:
            patterns = substitute(
                {k: block[k] for k in ("pattern", "anyPattern") if block.get(k) is not None},
                run.context,
                run.delete,
            )
        except _ERRORS as error:
            return Response("error", f"variable substitution failed: {error}")
        if run.has_element:
            return _patterns(run, patterns, run.element)
        if run.delete:
            return None
        return _patterns(run, patterns, run.context["request"]["object"])
    if block.get("foreach") is not None:
        return _foreach(run, block["foreach"], nesting)
    return None


def _foreach(run: RuleRun, items: Any, nesting: int) -> Response | None:
    applied, list_error = 0, None
    for foreach in items or []:
        try:
            expression = str(foreach.get("list") or "")
            if "{{" in expression:
                expression = str(substitute(expression, run.context, run.delete))
            elements = search(expression, run.context)
        except NotFoundError:
            continue
        except _ERRORS as error:
            list_error = error
            continue
        if not isinstance(elements, list):
            elements = [elements]
        response, count = _elements(run, foreach, elements, nesting)
        if response.status != "pass":
            return response
        applied += count
    if applied == 0:
        if list_error is not None:
            return Response("error", f"failed to evaluate list: {list_error}")
        return None
    return Response("pass", "rule passed")


def _elements(
    run: RuleRun, foreach: Mapping[str, Any], elements: list[Any], nesting: int
) -> tuple[Response, int]:
    applied = 0
    scope = foreach.get("elementScope")
    for index, element in enumerate(elements):
        if element is None:
            continue
        context = copy.copy(run.context)
        context.update(
            {
                "element": element,
                "elementIndex": index,
                f"element{nesting}": element,
                f"elementIndex{nesting}": index,
            }
        )
        if scope is True and not isinstance(element, Mapping):
            message = "failed to process foreach: elementScope needs object elements"
            return Response("error", f"validation failure: {message}"), applied
        in_scope = scope if scope is not None else isinstance(element, Mapping)
        child = RuleRun(
            run.name,
            run.message,
            context,
            run.objects,
            run.provided,
            run.responses,
            run.delete,
            run.cel,
            element if in_scope else run.element,
            True if in_scope else run.has_element,
        )
        response = validate_block(
            child, foreach, nesting + 1, foreach.get("context"), foreach.get("preconditions")
        )
        if response is None or response.status == "skip":
            continue
        if response.status != "pass":
            if (
                response.status == "error"
                and "failed to evaluate preconditions" in response.message
            ):
                continue
            return Response(
                response.status, f"validation failure: {response.message}", response.path
            ), applied
        applied += 1
    return Response("pass"), applied
