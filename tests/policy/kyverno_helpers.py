"""Builders for Kyverno ClusterPolicy tests: policies as Kyverno documents them, run through
the real loader and engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validator.model import RenderedEnvironment, Resource, ResourceRef
from validator.policy import PolicyEngine
from validator.policy.families import RuleResult
from validator.policy.loader import PolicySet, parse_documents


def cluster_policy(name: str, *rules: dict[str, Any], **spec: Any) -> dict[str, Any]:
    annotations = spec.pop("annotations", {})
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"rules": list(rules), **spec},
    }


def rule(
    name: str, validate: dict[str, Any], kinds: tuple[str, ...] = ("Pod",), **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "match": {"any": [{"resources": {"kinds": list(kinds)}}]}}
    body.update(extra)
    body["validate"] = validate
    return body


def pod(name: str = "p", namespace: str = "shop", **spec: Any) -> dict[str, Any]:
    containers = spec.pop("containers", [{"name": "app", "image": "nginx:1.27"}])
    labels = spec.pop("labels", {})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": containers, **spec},
    }


def deployment(name: str = "d", image: str = "nginx:latest") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "template": {"metadata": {}, "spec": {"containers": [{"name": "app", "image": image}]}}
        },
    }


def engine_for(*documents: Mapping[str, Any], **extras: Any) -> PolicyEngine:
    policies: PolicySet = parse_documents(documents, "policies.yaml")
    return PolicyEngine(PolicySet(), policies, default_profile="none", family_extras=extras)


def env_of(*bodies: Mapping[str, Any]) -> RenderedEnvironment:
    resources = tuple(Resource(ResourceRef.of(b), b, "dev") for b in bodies)
    return RenderedEnvironment(name="dev", kubernetes_version="1.33", resources=resources)


def rule_results(
    policy: Mapping[str, Any],
    *bodies: Mapping[str, Any],
    operation: str | None = None,
    old: Mapping[str, Any] | None = None,
    **extras: Any,
) -> dict[tuple[str, str], RuleResult]:
    """(resource name, rule) → result, for every rule that responded."""
    engine = engine_for(policy, **extras)
    env = env_of(*bodies)
    old_map = None
    if old is not None:
        old_map = {
            Resource(ResourceRef.of(old), old, "dev").ref.key: Resource(
                ResourceRef.of(old), old, "dev"
            )
        }
    out = {}
    for _, resource, outcome in engine.outcomes(env, old_map, operation):
        for result in outcome.rules:
            out[(resource.ref.name, result.rule)] = result
    return out
