"""conftest policies through the real CLI: deny/warn, several namespaces, v0 and v1, combine,
exceptions (conftest's own and the tool's file) and conftest verify tests in `policy test`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from support import RunCli, deployment

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
"""

# Rego v1, package main: a deny with a field path in its result, a warn, conftest exceptions.
MAIN = """package main
import rego.v1

deny contains {"msg": msg, "path": "spec.template.spec.containers.0.image"} if {
    input.kind == "Deployment"
    some c in input.spec.template.spec.containers
    endswith(c.image, ":latest")
    msg := sprintf("container %s uses the latest tag", [c.name])
}

deny_run_as_root contains msg if {
    input.kind == "Deployment"
    not input.spec.template.spec.securityContext.runAsNonRoot
    msg := sprintf("Deployment %s must set runAsNonRoot", [input.metadata.name])
}

warn contains msg if {
    input.kind == "Service"
    input.spec.type == "NodePort"
    msg := sprintf("Service %s uses NodePort", [input.metadata.name])
}

exception contains rules if {
    input.metadata.name == "legacy"
    rules := ["run_as_root"]
}
"""

# Rego v0 in a second namespace, read only because the config names it.
LABELS = """package k8s.labels

violation_owner[{"msg": msg}] {
    not input.metadata.labels.owner
    msg := sprintf("%s %s has no owner label", [input.kind, input.metadata.name])
}
"""

TESTS = """package main
import rego.v1

test_latest_denied if {
    count(deny) == 1 with input as {"kind": "Deployment", "metadata": {"name": "a"},
        "spec": {"template": {"spec": {"securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a", "image": "a:latest"}]}}}}
}

test_service_warns if {
    warn["Service s uses NodePort"] with input as {"kind": "Service",
        "metadata": {"name": "s"}, "spec": {"type": "NodePort"}}
}

test_parsed_yaml_warns if {
    svc := parse_config("yaml", `{kind: Service, metadata: {name: p}, spec: {type: NodePort}}`)
    warn["Service p uses NodePort"] with input as svc
}

test_other_parsers_are_errors if {
    parse_config("hcl2", "a = 1")
}

test_wrong_on_purpose if {
    count(deny) == 5 with input as {"kind": "Service"}
}
"""

UNIQUE = """package main
import rego.v1

deny contains msg if {
    some i, j
    input[i].contents.kind == input[j].contents.kind
    input[i].contents.spec.selector == input[j].contents.spec.selector
    input[i].contents.kind == "Service"
    i < j
    msg := sprintf("Services %s and %s select the same pods", [
        input[i].contents.metadata.name, input[j].contents.metadata.name])
}
"""


def _repo(make_repo: MakeRepo, extra: Mapping[str, str], config: str) -> Path:
    files = {
        "overlays/app/kustomization.yaml": (
            "namespace: shop\nresources: [deployment.yaml, legacy.yaml, service.yaml]\n"
        ),
        "overlays/app/deployment.yaml": deployment("web", image="nginx:latest"),
        "overlays/app/legacy.yaml": deployment("legacy"),
        "overlays/app/service.yaml": SERVICE,
        "gitops-validator.yaml": (
            "environments:\n  app: {path: overlays/app}\n"
            f"policies:\n  builtin: none\n  paths: [policies]\n{config}"
        ),
        **extra,
    }
    return make_repo(files)


def _findings(run_cli: RunCli, repo: Path) -> list[dict[str, Any]]:
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code in (0, 1), result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["category"] == "policy"]


def test_deny_warn_namespaces_and_conftest_exceptions(make_repo: MakeRepo, run_cli: RunCli) -> None:
    config = "  conftest:\n    namespaces: [main, 'k8s.*']\n"
    repo = _repo(make_repo, {"policies/main.rego": MAIN, "policies/labels.rego": LABELS}, config)
    found = sorted(
        (f["ruleId"], f["resource"]["kind"], f["resource"]["name"], f["severity"])
        for f in _findings(run_cli, repo)
    )
    assert found == [
        ("k8s.labels/violation_owner", "Deployment", "legacy", "error"),
        ("k8s.labels/violation_owner", "Deployment", "web", "error"),
        ("k8s.labels/violation_owner", "Service", "web", "error"),
        ("main/deny", "Deployment", "web", "error"),
        ("main/deny_run_as_root", "Deployment", "web", "error"),  # legacy: excepted by the policy
        ("main/warn", "Service", "web", "warning"),
    ]
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1
    image = next(f for f in json.loads(result.stdout)["findings"] if f["ruleId"] == "main/deny")
    assert image["path"] == "/spec/template/spec/containers/0/image"
    lines = (repo / image["location"]["file"]).read_text().splitlines()
    assert "image: nginx:latest" in lines[image["location"]["line"] - 1]


def test_only_configured_namespaces_are_read(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = _repo(make_repo, {"policies/main.rego": MAIN, "policies/labels.rego": LABELS}, "")
    rules = {f["ruleId"] for f in _findings(run_cli, repo)}
    assert rules == {"main/deny", "main/deny_run_as_root", "main/warn"}


def test_combine_sees_the_whole_environment(make_repo: MakeRepo, run_cli: RunCli) -> None:
    second = SERVICE.replace("name: web", "name: web-copy")
    extra = {"policies/unique.rego": UNIQUE, "overlays/app/service2.yaml": second}
    repo = _repo(make_repo, extra, "  conftest:\n    combine: true\n")
    kustomization = repo / "overlays/app/kustomization.yaml"
    listed = kustomization.read_text().replace("service.yaml]", "service.yaml, service2.yaml]")
    kustomization.write_text(listed)
    findings = _findings(run_cli, repo)
    assert [(f["ruleId"], f["message"], f["resource"], f["family"]) for f in findings] == [
        ("main/deny", "Services web and web-copy select the same pods", None, "conftest")
    ]
    assert findings[0]["location"] == {"file": "policies/unique.rego", "line": 4, "column": 1}


def test_tool_exceptions_file_waives_conftest_rules(make_repo: MakeRepo, run_cli: RunCli) -> None:
    exceptions = """exceptions:
  - policy: main/deny_run_as_root
    resources: [{kind: Deployment, name: web}]
    reason: migrating the image to a non-root user
    owner: team-web
    expires: 2099-01-01
"""
    extra = {"policies/main.rego": MAIN, "exceptions.yaml": exceptions}
    repo = _repo(make_repo, extra, "  exceptions: exceptions.yaml\n")
    rules = {f["ruleId"] for f in _findings(run_cli, repo)}
    assert rules == {"main/deny", "main/warn"}


def test_policy_test_runs_conftest_verify(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = _repo(make_repo, {"policies/main.rego": MAIN, "policies/main_test.rego": TESTS}, "")
    result = run_cli("policy", "test", "policies", "--show-passes", cwd=repo)
    assert result.code == 1
    assert "pass  main/test_latest_denied" in result.stdout
    assert "pass  main/test_service_warns" in result.stdout
    assert "pass  main/test_parsed_yaml_warns" in result.stdout
    assert "FAIL  main/test_wrong_on_purpose" in result.stdout
    assert "parser 'hcl2' is not supported (only yaml and json)" in result.stdout
    assert result.stdout.strip().endswith("3 passed, 2 failed, 0 errors")


def test_broken_rego_is_a_clear_error(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = _repo(make_repo, {"policies/bad.rego": "package main\ndeny contains msg if {\n"}, "")
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stdout + result.stderr
    assert "policies/bad.rego" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


ECHO = """package main
import rego.v1

deny contains msg if {
    input.kind == "Secret"
    msg := sprintf("Secret %s holds %v", [input.metadata.name, input.stringData])
}

deny_combined contains msg if {
    some doc in input
    doc.contents.kind == "Secret"
    msg := sprintf("found %v", [doc.contents.stringData.password])
}
"""
CANARY = "canary-Zq8v3Lw"


def test_messages_never_repeat_secret_values(make_repo: MakeRepo, run_cli: RunCli) -> None:
    secret = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {CANARY}\n"
    )
    for combine in ("false", "true"):
        config = f"  conftest:\n    combine: {combine}\n"
        repo = _repo(make_repo, {"policies/echo.rego": ECHO, "overlays/app/secret.yaml": secret},
                     config)  # fmt: skip
        kustomization = repo / "overlays/app/kustomization.yaml"
        kustomization.write_text(
            kustomization.read_text().replace("service.yaml]", "service.yaml, secret.yaml]")
        )
        result = run_cli("validate", "--format", "json", cwd=repo)
        assert result.code == 1, result.stdout + result.stderr
        messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
        assert any("***" in m for m in messages), messages
        assert CANARY not in result.stdout + result.stderr


def test_boolean_deny_rule_is_an_error_not_a_pass(make_repo: MakeRepo, run_cli: RunCli) -> None:
    rule = 'package main\nimport rego.v1\n\ndeny if input.kind == "Service"\n'
    findings = _findings(run_cli, _repo(make_repo, {"policies/bool.rego": rule}, ""))
    assert [(f["ruleId"], f["severity"], f["resource"]["kind"]) for f in findings] == [
        ("main/deny", "error", "Service")
    ]
    assert "must be a set of messages" in findings[0]["message"]
