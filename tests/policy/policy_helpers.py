"""Shared builders for the policy-stage tests (real CEL, real YAML files in tmp_path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml_rs

from validator.model import RenderedEnvironment, Resource, ResourceRef
from validator.policy import PolicyEngine
from validator.policy.loader import PolicySet, parse_documents

POD_RULE = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["pods"],
}


def vap(name: str, validations: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "matchConstraints": {"resourceRules": [POD_RULE]},
        "validations": validations,
    }
    body.update(spec)
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": body,
    }


def binding(
    name: str, policy: str, actions: Sequence[str] = ("Deny",), **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": policy, "validationActions": list(actions), **spec},
    }


def pod(
    name: str, namespace: str = "shop", labels: Mapping[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    containers = spec.pop("containers", [{"name": "app", "image": "nginx:1.27"}])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": {"containers": containers, **spec},
    }


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def environment(
    bodies: Sequence[Mapping[str, Any]], version: str = "1.33", name: str = "dev"
) -> RenderedEnvironment:
    resources = tuple(Resource(ResourceRef.of(b), b, name) for b in bodies)
    return RenderedEnvironment(name=name, kubernetes_version=version, resources=resources)


def engine(documents: Sequence[Mapping[str, Any]], **kwargs: Any) -> PolicyEngine:
    return PolicyEngine(
        PolicySet(), parse_documents(documents, "test.yaml"), default_profile="none", **kwargs
    )


def outcome(eng: PolicyEngine, env: RenderedEnvironment, policy: str, resource: str) -> str:
    """pass | fail | error | skip for one policy and one object named Kind/name."""
    results = [
        o.result
        for name, res, o in eng.outcomes(env)
        if name == policy and f"{res.ref.kind}/{res.ref.name}" == resource
    ]
    return max(results, key=["skip", "pass", "error", "fail"].index) if results else "skip"


def write_yaml(path: Path, *documents: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(yaml_rs.dumps(dict(d)).rstrip("\n") + "\n" for d in documents))
    return path
