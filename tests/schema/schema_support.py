"""Builders shared by the schema-stage tests: rendered environments made directly, no render."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from validator.model import Finding, RenderedEnvironment, Resource, ResourceRef, Settings
from validator.model import SchemaSettings as SchemaSettings
from validator.schema import SchemaValidator

VALIDATOR = SchemaValidator()


def deployment(name: str = "web", **spec_overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    body["spec"].update(spec_overrides)
    return body


def environment(
    *bodies: dict[str, Any], version: str = "1.33", name: str = "dev"
) -> RenderedEnvironment:
    resources = tuple(Resource(ResourceRef.of(body), copy.deepcopy(body), name) for body in bodies)
    return RenderedEnvironment(name=name, kubernetes_version=version, resources=resources)


def settings(
    repo_root: Path = Path("."),
    crd_paths: tuple[str, ...] = (),
    ignore_groups: tuple[str, ...] = (),
) -> Settings:
    return Settings(
        repo_root=repo_root,
        config_file=None,
        kubernetes_version="1.33",
        environments=(),
        schema=SchemaSettings(crd_paths=crd_paths, ignore_groups=ignore_groups),
    )


def validate(
    *bodies: dict[str, Any],
    version: str = "1.33",
    config: Settings | None = None,
    old: dict[str, Resource] | None = None,
) -> list[Finding]:
    env = environment(*bodies, version=version)
    return VALIDATOR.validate(env, config or settings(), old)


def summary(findings: list[Finding]) -> list[tuple[str, str, str | None, str]]:
    """(severity, rule id, path, message) for assertions that read like the report."""
    return [(f.severity.value, f.rule_id, f.path, f.message) for f in findings]
