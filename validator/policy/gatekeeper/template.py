"""ConstraintTemplates (`templates.gatekeeper.sh/v1`): the constraint kind, its parameter
schema, and the code to run: Rego (legacy `rego`/`libs` or `code: [{engine: Rego}]`) and CEL
(`code: [{engine: K8sNativeValidation}]`).

Engine choice follows gator with K8s native validation on (its default): when a template
carries CEL, CEL runs and the Rego is not used; `prefer_rego` turns that off (as
`--enable-k8s-native-validation=false` does), which is how the library's CI runs both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validator.policy.documents import Validation
from validator.policy.errors import PolicyError

TEMPLATE_API = "templates.gatekeeper.sh/"
CONSTRAINT_API = "constraints.gatekeeper.sh/"
TARGET = "admission.k8s.gatekeeper.sh"
RESERVED_VARIABLES = ("params", "anyObject")


@dataclass(frozen=True, slots=True)
class RegoSource:
    rego: str
    libs: tuple[str, ...] = ()
    v1: bool = False  # source.version "v1"; Gatekeeper reads v0 otherwise


@dataclass(frozen=True, slots=True)
class CelSource:
    validations: tuple[Validation, ...]
    variables: tuple[tuple[str, str], ...] = ()
    match_conditions: tuple[tuple[str, str], ...] = ()
    failure_policy: str = "Fail"


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    kind: str  # the constraint kind it defines
    schema: Mapping[str, Any] | None
    rego: RegoSource | None
    cel: CelSource | None
    source: str
    annotations: Mapping[str, str]

    def engine(self, prefer_rego: bool = False) -> str:
        if self.cel is not None and not (prefer_rego and self.rego is not None):
            return "cel"
        return "rego"


def is_template(body: Mapping[str, Any]) -> bool:
    return str(body.get("apiVersion") or "").startswith(TEMPLATE_API) and (
        body.get("kind") == "ConstraintTemplate"
    )


def parse_template(body: Mapping[str, Any], source: str) -> Template:
    metadata = body.get("metadata") or {}
    name = str(metadata.get("name") or "")
    where = f"{source}: ConstraintTemplate {name!r}"
    spec = _mapping(body.get("spec"))
    crd = ((spec.get("crd") or {}).get("spec")) or {}
    kind = str((crd.get("names") or {}).get("kind") or "")
    if not name or not kind:
        raise PolicyError(f"{where}: needs metadata.name and spec.crd.spec.names.kind")
    if name != kind.lower():
        raise PolicyError(f"{where}: metadata.name must be {kind.lower()!r} (the kind lowercased)")
    targets = [t for t in spec.get("targets") or [] if isinstance(t, Mapping)]
    if len(targets) != 1 or targets[0].get("target") != TARGET:
        raise PolicyError(f"{where}: needs exactly one target {TARGET!r}")
    rego, cel = _code(targets[0], where)
    if rego is None and cel is None:
        raise PolicyError(f"{where}: no Rego or K8sNativeValidation code")
    schema = (crd.get("validation") or {}).get("openAPIV3Schema")
    return Template(
        name=name,
        kind=kind,
        schema=schema if isinstance(schema, Mapping) else None,
        rego=rego,
        cel=cel,
        source=source,
        annotations={str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()},
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _code(target: Mapping[str, Any], where: str) -> tuple[RegoSource | None, CelSource | None]:
    rego: RegoSource | None = None
    cel: CelSource | None = None
    for entry in target.get("code") or []:
        if not isinstance(entry, Mapping):
            continue
        source = _mapping(entry.get("source"))
        if entry.get("engine") == "Rego":
            rego = _rego(source, where)
        elif entry.get("engine") == "K8sNativeValidation":
            cel = _cel(source, where)
        else:
            raise PolicyError(f"{where}: unknown engine {entry.get('engine')!r}")
    if target.get("rego"):  # the legacy field overrides a code entry, as in Gatekeeper
        rego = _rego(target, where)
    return rego, cel


def _rego(source: Mapping[str, Any], where: str) -> RegoSource:
    if not isinstance(source.get("rego"), str):
        raise PolicyError(f"{where}: Rego code needs 'rego'")
    libs = source.get("libs") or []
    if not isinstance(libs, list) or not all(isinstance(lib, str) for lib in libs):
        raise PolicyError(f"{where}: 'libs' must be a list of Rego modules")
    version = str(source.get("version") or "v0")
    if version not in ("v0", "v1"):
        raise PolicyError(f"{where}: Rego version must be v0 or v1, not {version!r}")
    return RegoSource(source["rego"], tuple(libs), version == "v1")


def _named(items: Any, value_key: str, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items or []:
        if not isinstance(item, Mapping) or not item.get("name") or not item.get(value_key):
            raise PolicyError(f"{where}: every entry needs 'name' and {value_key!r}")
        out.append((str(item["name"]), str(item[value_key])))
    return tuple(out)


def _cel(source: Mapping[str, Any], where: str) -> CelSource:
    variables = _named(source.get("variables"), "expression", where)
    reserved = [n for n, _ in variables if n in RESERVED_VARIABLES or n.startswith("gatekeeper_")]
    if reserved:
        raise PolicyError(f"{where}: variable name(s) reserved by Gatekeeper: {reserved}")
    validations = []
    for item in source.get("validations") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("expression"), str):
            raise PolicyError(f"{where}: every validation needs an 'expression'")
        validations.append(
            Validation(
                expression=item["expression"],
                message=item.get("message"),
                message_expression=item.get("messageExpression"),
            )
        )
    if not validations:
        raise PolicyError(f"{where}: K8sNativeValidation needs validations")
    # Gatekeeper's JSON key is really singular; accept the VAP spelling too.
    conditions = source.get("matchCondition") or source.get("matchConditions")
    return CelSource(
        validations=tuple(validations),
        variables=variables,
        match_conditions=_named(conditions, "expression", where),
        failure_policy=str(source.get("failurePolicy") or "Fail"),
    )
