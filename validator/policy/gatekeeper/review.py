"""Review one object against every constraint, as gator does: match, pick the engine, run it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.model import Severity
from validator.policy.cel_env import CelEnvironment
from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.cel_driver import CelDriver
from validator.policy.gatekeeper.constraint import Constraint, Target, matches
from validator.policy.gatekeeper.message_path import message_path
from validator.policy.gatekeeper.rego_driver import RegoDriver, admission_review
from validator.policy.gatekeeper.template import Template
from validator.policy.matching import request_info


@dataclass(frozen=True, slots=True)
class Result:
    constraint: Constraint
    template: Template
    message: str
    severity: Severity
    path: str | None = None
    error: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    """One object under review and what it may see around it."""

    body: Mapping[str, Any]
    old: Mapping[str, Any] | None
    operation: str  # "" as gator sends it, CREATE/UPDATE in validate
    namespaces: Mapping[str, Mapping[str, Any]]  # namespace name → its labels (known ones)
    inventory_key: int
    inventory: Mapping[str, Any]
    admission: Mapping[str, Any] | None = None  # an AdmissionReview's request, used as is

    def review(self) -> dict[str, Any]:
        if self.admission is None:
            return admission_review(self.body, self.old, self.operation)
        review = dict(self.admission)
        if not review.get("object"):  # on DELETE Gatekeeper reviews the old object
            review["object"] = review.get("oldObject")
        return review


class Reviewer:
    def __init__(
        self,
        templates: Sequence[Template],
        constraints: Sequence[Constraint],
        *,
        excluded_namespaces: Sequence[str] = (),
        prefer_rego: bool = False,
    ) -> None:
        self.templates = {t.kind: t for t in templates}
        self.constraints = list(constraints)
        self.excluded = tuple(excluded_namespaces)
        self.prefer_rego = prefer_rego
        self._rego: dict[str, RegoDriver] = {}
        self._cel: dict[tuple[str, str], CelDriver | None] = {}
        # Templates whose CEL this engine cannot compile but whose Rego it runs instead.
        self.fallbacks: dict[str, str] = {}
        self.broken: dict[str, str] = {}  # kind → why its template cannot run

    def check_compiles(self, kubernetes_version: str) -> dict[str, str]:
        """Compile every template's engine now; the broken ones (kind → error) are not run."""
        for template in self.templates.values():
            if template.kind in self.broken:
                continue
            try:
                self._driver(template, kubernetes_version)
            except PolicyError as error:
                self.broken[template.kind] = str(error)
        return self.broken

    def _driver(self, template: Template, version: str) -> RegoDriver | CelDriver:
        if template.engine(self.prefer_rego) == "cel":
            key = (template.kind, version)
            if key not in self._cel:
                self._cel[key] = self._cel_driver(template, version)
            driver = self._cel[key]
            if driver is not None:
                return driver
        if template.kind not in self._rego:
            self._rego[template.kind] = RegoDriver(template)
        return self._rego[template.kind]

    def _cel_driver(self, template: Template, version: str) -> CelDriver | None:
        """None: the CEL does not compile here but the template's Rego can stand in for it
        (the library keeps both equivalent); without Rego the compile error stands."""
        try:
            return CelDriver(template, CelEnvironment(version))
        except PolicyError as error:
            if template.rego is None:
                raise
            self.fallbacks[template.name] = str(error)
            return None

    def review(self, request: Request, kubernetes_version: str) -> list[Result]:
        results: list[Result] = []
        for constraint in self.constraints:
            template = self.templates[constraint.kind]
            if constraint.kind in self.broken:
                continue
            try:
                if not self._matches(constraint, request):
                    continue
            except PolicyError as error:
                results.append(_error(constraint, template, str(error)))
                continue
            driver = self._driver(template, kubernetes_version)
            if isinstance(driver, RegoDriver):
                results.extend(self._rego_results(driver, constraint, template, request))
            else:
                results.extend(self._cel_results(driver, constraint, template, request))
        return results

    def _matches(self, constraint: Constraint, request: Request) -> bool:
        for body in (request.body, request.old):
            if not body:
                continue
            namespace = str((body.get("metadata") or {}).get("namespace") or "")
            target = Target(body, request.namespaces.get(namespace) if namespace else {})
            if matches(constraint.match, target, self.excluded):
                return True
        return False

    def _rego_results(
        self, driver: RegoDriver, constraint: Constraint, template: Template, request: Request
    ) -> list[Result]:
        driver.use_inventory(request.inventory_key, request.inventory)
        review = request.review()
        found: list[Result] = []
        for violation in driver.violations(review, constraint.parameters):
            error = isinstance(violation.details, Mapping) and bool(violation.details.get("error"))
            path = None if error else message_path(violation.message, request.body or {})
            found.append(
                Result(constraint, template, violation.message, constraint.severity, path, error)
            )
        return found

    def _cel_results(
        self, driver: CelDriver, constraint: Constraint, template: Template, request: Request
    ) -> list[Result]:
        body = request.body or None
        source = body or request.old or {}
        info = request_info(source, {}, request.operation or "CREATE")
        namespace_name = str((source.get("metadata") or {}).get("namespace") or "")
        namespace = _namespace_object(namespace_name, request.namespaces)
        activation = driver.activation(info, body, request.old, constraint.body, namespace)

        def again(modified: Any) -> Any:
            return driver.activation(info, modified, request.old, constraint.body, namespace)

        found: list[Result] = []
        for decision in driver.decisions(activation):
            error = decision.kind == "error"
            message = f"policy error: {decision.message}" if error else decision.message
            path = None if error or body is None else driver.path(decision, body, again)
            found.append(Result(constraint, template, message, constraint.severity, path, error))
        return found


def _namespace_object(
    name: str, namespaces: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    if not name:
        return None
    labels = namespaces.get(name)
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {})},
    }


def _error(constraint: Constraint, template: Template, message: str) -> Result:
    return Result(constraint, template, message, Severity.ERROR, None, True)
