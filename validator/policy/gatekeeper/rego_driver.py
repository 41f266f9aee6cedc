"""A template's Rego, run as Gatekeeper's Rego driver does.

Per matched constraint: `violation` of the template's package with input
`{"review": <AdmissionRequest>, "parameters": <spec.parameters or {}>}`; every element needs a
string `msg`. Libraries live under `data.lib`; the only outside data is `data.inventory`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.template import Template
from validator.policy.rego.engine import Module, RegoEngine, RegoError

_UNKNOWN_FUNCTION = "could not find function"
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Violation:
    message: str
    details: Any = None


class RegoDriver:
    def __init__(self, template: Template) -> None:
        rego = template.rego
        if rego is None:
            raise PolicyError(f"{template.source}: template {template.name!r} has no Rego")
        where = f"{template.source}: ConstraintTemplate {template.name!r}"
        package = _PACKAGE.search(rego.rego)
        if package is None:
            raise PolicyError(f"{where}: the Rego has no package")
        self.package = package.group(1)
        modules = [Module(f"{template.name}.rego", rego.rego, not rego.v1)]
        for index, lib in enumerate(rego.libs):
            lib_package = _PACKAGE.search(lib)
            if lib_package is None or not lib_package.group(1).startswith("lib."):
                raise PolicyError(f"{where}: libs[{index}] must be a package under 'lib.'")
            modules.append(Module(f"{template.name}-lib{index}.rego", lib, not rego.v1))
        try:
            self._engine = RegoEngine(modules)
        except RegoError as error:
            raise PolicyError(f"{where}: {error}") from None
        if "violation" not in self._engine.rule_names(self.package):
            raise PolicyError(f"{where}: the Rego must define 'violation'")
        self._probe(where)
        self._inventory_key: int | None = None
        self._with_inventory = self._engine

    def _probe(self, where: str) -> None:
        """regorus resolves functions only when it evaluates: an unknown one (e.g.
        `external_data`, which needs a provider) is a compile error in Gatekeeper."""
        try:
            self._engine.clone().evaluate(
                f"{self.package}.violation", {"review": {}, "parameters": {}}
            )
        except RegoError as error:
            if _UNKNOWN_FUNCTION in str(error):
                raise PolicyError(f"{where}: {error}") from None

    def use_inventory(self, key: int, inventory: Mapping[str, Any]) -> None:
        """`data.inventory` for the environment `key` (built once per environment)."""
        if key != self._inventory_key:
            self._with_inventory = self._engine.clone()
            self._with_inventory.add_data({"inventory": inventory})
            self._inventory_key = key

    def violations(
        self, review: Mapping[str, Any], parameters: Mapping[str, Any]
    ) -> list[Violation]:
        """An evaluation error is one violation carrying the error, as Gatekeeper reports it."""
        input_value = {"review": review, "parameters": parameters}
        try:
            value = self._with_inventory.evaluate(f"{self.package}.violation", input_value)
        except RegoError as error:
            return [Violation(f"policy error: {error}", {"error": True})]
        return _violations(value)


def _violations(value: Any) -> list[Violation]:
    out: list[Violation] = []
    for item in value if isinstance(value, Sequence) and not isinstance(value, str) else []:
        if isinstance(item, Mapping) and isinstance(item.get("msg"), str):
            out.append(Violation(item["msg"], item.get("details")))
        else:
            out.append(Violation("policy error: a violation needs a string 'msg'", {"error": True}))
    return out


def admission_review(
    body: Mapping[str, Any], old: Mapping[str, Any] | None, operation: str
) -> dict[str, Any]:
    """The AdmissionRequest Gatekeeper builds for an object (`target.go`)."""
    source = body or old or {}
    api_version = str(source.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    metadata = source.get("metadata") or {}
    review: dict[str, Any] = {
        "kind": {"group": group, "version": version, "kind": str(source.get("kind") or "")},
        "name": str(metadata.get("name") or ""),
        "operation": operation,
        "uid": "",
        "userInfo": {},
        "object": body or None,
        "oldObject": old,
        "options": None,
    }
    if metadata.get("namespace"):
        review["namespace"] = str(metadata["namespace"])
    return review


def inventory(bodies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`data.inventory`: cluster[<gv>][<Kind>][<name>], namespace[<ns>][<gv>][<Kind>][<name>]."""
    cluster: dict[str, Any] = {}
    namespaced: dict[str, Any] = {}
    for body in bodies:
        metadata = body.get("metadata") or {}
        name, namespace = metadata.get("name"), metadata.get("namespace")
        gv, kind = str(body.get("apiVersion") or ""), str(body.get("kind") or "")
        if not name or not gv or not kind:
            continue
        root = namespaced.setdefault(str(namespace), {}) if namespace else cluster
        root.setdefault(gv, {}).setdefault(kind, {})[str(name)] = body
    return {"cluster": cluster, "namespace": namespaced}
