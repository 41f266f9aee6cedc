"""gator `Suite` files (`test.gatekeeper.sh/v1alpha1`) for `policy test`, as `gator verify`.

Each case gets a fresh reviewer with the test's template and constraint; `inventory` files are
`data.inventory` (and the only Namespaces namespaceSelector can see); the object file holds one
object or an AdmissionReview; every assertion counts the results whose message matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.constraint import parse_constraint
from validator.policy.gatekeeper.family import namespace_labels
from validator.policy.gatekeeper.rego_driver import inventory
from validator.policy.gatekeeper.review import Request, Reviewer
from validator.policy.gatekeeper.template import is_template, parse_template
from validator.policy.loader import read_yaml_documents
from validator.policy.testing import CaseResult

SUITE_API = "test.gatekeeper.sh/"
KUBERNETES_VERSION = "1.33"


def is_suite(body: Mapping[str, Any]) -> bool:
    return str(body.get("apiVersion") or "").startswith(SUITE_API) and body.get("kind") == "Suite"


def run_suite(
    body: Mapping[str, Any], file: Path, prefer_rego: bool = False
) -> tuple[list[CaseResult], list[str]]:
    results: list[CaseResult] = []
    errors: list[str] = []
    tests = body.get("tests")
    if not isinstance(tests, list) or not tests:
        return [], [f"{file}: Suite has no tests"]
    for test in tests:
        if not isinstance(test, Mapping) or test.get("skip"):
            continue
        name = str(test.get("name") or "")
        try:
            results.extend(_run_test(test, file, prefer_rego))
        except PolicyError as error:
            errors.append(f"{file}: test {name!r}: {error}")
    return results, errors


def _one(path: Path, what: str) -> Mapping[str, Any]:
    if not path.is_file():
        raise PolicyError(f"{what} file {path.name!r} not found")
    documents = read_yaml_documents(path)
    if len(documents) != 1:
        raise PolicyError(f"{what} file {path.name!r} must hold exactly one object")
    return documents[0]


def _run_test(test: Mapping[str, Any], file: Path, prefer_rego: bool) -> list[CaseResult]:
    base, name = file.parent, str(test.get("name") or "")
    if test.get("expansion"):
        raise PolicyError("ExpansionTemplates are not supported")
    template_body = _one(base / str(test.get("template")), "template")
    try:
        if not is_template(template_body):
            raise PolicyError("the template file holds no ConstraintTemplate")
        template = parse_template(template_body, str(test.get("template")))
        constraint_file = str(test.get("constraint"))
        constraint = parse_constraint(_one(base / constraint_file, "constraint"), template,
                                      constraint_file)  # fmt: skip
        if constraint.kind != template.kind:
            raise PolicyError(f"constraint kind {constraint.kind!r} is not {template.kind!r}")
        reviewer = Reviewer([template], [constraint], prefer_rego=prefer_rego)
        broken = reviewer.check_compiles(KUBERNETES_VERSION)
        if broken:
            raise PolicyError("; ".join(broken.values()))
    except PolicyError as error:
        if test.get("invalid"):
            return [_result(file, name, "(invalid)", template_body, "invalid", "invalid", True)]
        raise PolicyError(str(error)) from None
    if test.get("invalid"):
        return [_result(file, name, "(invalid)", template_body, "invalid", "valid", False)]
    return [
        _run_case(reviewer, case, base, file, name, template.name)
        for case in test.get("cases") or []
        if isinstance(case, Mapping) and not case.get("skip")
    ]


def _run_case(
    reviewer: Reviewer, case: Mapping[str, Any], base: Path, file: Path, test: str, policy: str
) -> CaseResult:
    case_name = str(case.get("name") or "")
    label = f"{test}/{case_name}"

    def result(expected: str, actual: str, ok: bool, detail: str = "") -> CaseResult:
        return CaseResult(
            test=label, file=str(file), policy=policy,
            resource=f"{case_name} ({case.get('object')})",
            expected=expected, actual=actual, ok=ok, detail=detail,
        )  # fmt: skip

    assertions = case.get("assertions")
    if not isinstance(assertions, list) or not assertions:
        return result("assertions", "none", False, "a case needs assertions")
    try:
        request = _request(case, base)
        messages = [r.message for r in reviewer.review(request, KUBERNETES_VERSION)]
    except PolicyError as error:
        return result("review", "error", False, str(error))
    failed = [text for a in assertions if (text := _failed(a, messages))]
    expected = "; ".join(_describe(a) for a in assertions)
    actual = f"{len(messages)} violation(s)"
    detail = "; ".join(failed) or ("; ".join(messages[:3]) if messages else "")
    return result(expected, actual, not failed, detail)


def _request(case: Mapping[str, Any], base: Path) -> Request:
    body = _one(base / str(case.get("object")), "object")
    inventory_bodies: list[Mapping[str, Any]] = []
    for item in case.get("inventory") or []:
        path = base / str(item)
        if not path.is_file():
            raise PolicyError(f"inventory file {item!r} not found")
        inventory_bodies.extend(read_yaml_documents(path))
    data = inventory(inventory_bodies)
    namespaces = namespace_labels(inventory_bodies)
    if body.get("kind") == "AdmissionReview" and str(body.get("apiVersion")).startswith(
        "admission.k8s.io/"
    ):
        request = body.get("request") or {}
        obj, old = request.get("object"), request.get("oldObject")
        if not obj and not old:
            raise PolicyError("the AdmissionReview needs request.object or request.oldObject")
        operation = str(request.get("operation") or "")
        return Request(obj or {}, old, operation, namespaces, id(data), data, request)
    return Request(body, None, "", namespaces, id(data), data)


def _failed(assertion: Any, messages: Sequence[str]) -> str:
    if not isinstance(assertion, Mapping):
        return "an assertion must be a mapping"
    pattern = assertion.get("message")
    try:
        counted = [m for m in messages if pattern is None or re.search(str(pattern), m)]
    except re.error as error:
        return f"message {pattern!r} is not a regular expression: {error}"
    wanted = assertion.get("violations", "yes")
    if wanted in ("yes", True):
        ok = bool(counted)
    elif wanted in ("no", False):
        ok = not counted
    elif isinstance(wanted, int) or str(wanted).isdigit():
        ok = len(counted) == int(wanted)
    else:
        return f"violations must be yes, no or a number, not {wanted!r}"
    return "" if ok else f"expected {_describe(assertion)}, got {len(counted)}"


def _describe(assertion: Any) -> str:
    if not isinstance(assertion, Mapping):
        return "?"
    wanted = assertion.get("violations", "yes")
    wanted = {True: "yes", False: "no"}.get(wanted, wanted) if isinstance(wanted, bool) else wanted
    message = assertion.get("message")
    return f"violations: {wanted}" + (f" matching {message!r}" if message else "")


def _result(
    file: Path, test: str, case: str, body: Mapping[str, Any], exp: str, act: str, ok: bool
) -> CaseResult:
    name = str((body.get("metadata") or {}).get("name") or "")
    return CaseResult(test=test, file=str(file), policy=name, resource=case,
                      expected=exp, actual=act, ok=ok)  # fmt: skip
