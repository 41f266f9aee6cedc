"""Reports built from real model objects, shared by the report tests."""

from __future__ import annotations

from validator.model import (
    Category,
    Finding,
    RenderedEnvironment,
    Resource,
    ResourceRef,
    Severity,
    SourceLocation,
)
from validator.outcome import ValidationReport

CANARY = "CANARY-s3cr3t-value-7f3a"


def ref(kind: str, name: str, namespace: str | None = "shop") -> ResourceRef:
    api = "apps/v1" if kind == "Deployment" else "v1"
    return ResourceRef(api, kind, namespace, name)


def resource(env: str, kind: str, name: str, namespace: str | None = "shop") -> Resource:
    r = ref(kind, name, namespace)
    body = {"apiVersion": r.api_version, "kind": kind, "metadata": {"name": name}}
    if namespace:
        body["metadata"]["namespace"] = namespace
    return Resource(ref=r, body=body, environment=env)


def environment(name: str, *resources: tuple[str, str]) -> RenderedEnvironment:
    return RenderedEnvironment(
        name=name,
        kubernetes_version="1.33",
        resources=tuple(resource(name, kind, res) for kind, res in resources),
        input_files=frozenset(
            {f"overlays/{name}/kustomization.yaml", "overlays/base/kustomization.yaml"}
        ),
    )


def privileged(env: str, name: str = "web", line: int = 14) -> Finding:
    return Finding(
        rule_id="disallow-privileged-containers",
        category=Category.POLICY,
        severity=Severity.ERROR,
        message="Privileged mode is disallowed. Set securityContext.privileged to false.",
        environment=env,
        resource=ref("Deployment", name),
        path="/spec/template/spec/containers/0/securityContext/privileged",
        location=SourceLocation(f"overlays/{env}/patch-{name}.yaml", line, 11),
    )


def latest_tag(env: str, name: str = "web") -> Finding:
    return Finding(
        rule_id="disallow-latest-tag",
        category=Category.POLICY,
        severity=Severity.WARNING,
        message="An image tag is required and must not be 'latest', got nginx:latest",
        environment=env,
        resource=ref("Deployment", name),
        path="/spec/template/spec/containers/0/image",
        location=SourceLocation("overlays/base/deployment.yaml", 19, 18),
    )


def plaintext(env: str) -> Finding:
    return Finding(
        rule_id="secret-plaintext",
        category=Category.SECRETS,
        severity=Severity.ERROR,
        message="Secret shop/db holds a plaintext value in stringData.password",
        environment=env,
        resource=ref("Secret", "db"),
        path="/stringData/password",
        location=SourceLocation("overlays/base/secret.yaml", 6, 13),
    )


def sops_file() -> Finding:
    return Finding(
        rule_id="sops-unencrypted-value",
        category=Category.SECRETS,
        severity=Severity.WARNING,
        message="secrets/prod/db.yaml: key 'user' is not encrypted",
        location=SourceLocation("secrets/prod/db.yaml", 3, 1),
    )


def sample_report(fail_on: str = "error") -> ValidationReport:
    dev = environment("dev", ("Deployment", "web"), ("Secret", "db"), ("ConfigMap", "cfg"))
    prod = environment("prod", ("Deployment", "web"), ("Secret", "db"), ("Deployment", "api"))
    findings = (
        privileged("prod"),
        latest_tag("prod"),
        latest_tag("prod", "api"),
        plaintext("prod"),
        latest_tag("dev"),
        sops_file(),
    )
    return ValidationReport(environments=(dev, prod), findings=findings, fail_on=fail_on)
