"""Test manifests: ours (`PolicyTest`) and Kyverno's `cli.kyverno.io/v1alpha1` `Test`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.policy.errors import PolicyError
from validator.policy.loader import read_yaml_documents

OUR_API = "policies.gitops-validator.io/"
RESULTS = ("pass", "fail", "skip", "error")


@dataclass(frozen=True, slots=True)
class Expectation:
    policy: str
    resource: str  # Kind/name, Kind/namespace/name, name or namespace/name (Kyverno)
    result: str
    kind: str | None = None


@dataclass(slots=True)
class TestCase:
    """One manifest, normalised: what to load and what to expect."""

    name: str
    file: Path
    policy_files: list[Path]
    resources: list[Mapping[str, Any]]
    old_resources: list[Mapping[str, Any]] = field(default_factory=list)
    params: list[Mapping[str, Any]] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    kubernetes_version: str = "1.33"
    operation: str | None = None
    user_info: Mapping[str, Any] | None = None


def _objects(items: Any, base: Path, where: str) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for item in items or []:
        if isinstance(item, Mapping):
            out.append(item)
        elif isinstance(item, str):
            target = base / item
            if not target.is_file():
                raise PolicyError(f"{where}: resource file {item!r} not found")
            out.extend(read_yaml_documents(target))
        else:
            raise PolicyError(f"{where}: resources must be objects or file paths")
    return out


def _files(items: Any, base: Path, where: str) -> list[Path]:
    if not isinstance(items, list) or not items:
        raise PolicyError(f"{where}: 'policies' must list policy files")
    paths = [base / str(item) for item in items]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise PolicyError(f"{where}: policy file(s) not found: {', '.join(missing)}")
    return paths


def _namespaces(entries: Any) -> list[Mapping[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": str(e.get("name")), "labels": dict(e.get("labels") or {})},
        }
        for e in entries or []
        if isinstance(e, Mapping) and e.get("name")
    ]


def parse_our_test(body: Mapping[str, Any], file: Path) -> TestCase:
    name = str((body.get("metadata") or {}).get("name") or file.stem)
    where, base = f"{file}: PolicyTest {name!r}", file.parent
    expectations = []
    for raw in body.get("results") or []:
        if not isinstance(raw, Mapping) or raw.get("result") not in RESULTS:
            wanted = "|".join(RESULTS)
            raise PolicyError(f"{where}: every result needs policy, resource and {wanted}")
        resources = raw.get("resources") or [raw.get("resource")]
        expectations += [
            Expectation(str(raw.get("policy")), str(r), str(raw["result"])) for r in resources
        ]
    if not expectations:
        raise PolicyError(f"{where}: no expected results")
    return TestCase(
        name=name,
        file=file,
        policy_files=_files(body.get("policies"), base, where),
        resources=_namespaces(body.get("namespaces"))
        + _objects(body.get("resources"), base, where),
        old_resources=_objects(body.get("oldResources"), base, where),
        params=_objects(body.get("params"), base, where),
        expectations=expectations,
        kubernetes_version=str(body.get("kubernetesVersion") or "1.33"),
        operation=body.get("operation"),
        user_info=body.get("userInfo"),
    )


def parse_test_file(file: Path) -> list[TestCase]:
    cases = []
    for body in read_yaml_documents(file):
        api_version, kind = str(body.get("apiVersion") or ""), body.get("kind")
        if api_version.startswith(OUR_API) and kind == "PolicyTest":
            cases.append(parse_our_test(body, file))
    return cases
