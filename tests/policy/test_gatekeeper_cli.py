"""Gatekeeper through the real CLI: templates with CEL and Rego, constraints with parameters and
match, enforcement actions, data.inventory from the environment, gator suites in `policy test`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from support import RunCli, deployment

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
LIBRARY = Path(__file__).parent / "gatekeeper_library"
POLICY_FILES = (
    "requiredlabels/template.yaml",
    "requiredlabels/samples/owner/constraint.yaml",
    "privileged/template.yaml",
    "privileged/samples/deny/constraint.yaml",
    "uniqueselector/template.yaml",
    "uniqueselector/samples/unique/constraint.yaml",
)
PRIVILEGED = deployment("web").replace(
    "          image: nginx:1.27\n",
    "          image: nginx:1.27\n          securityContext:\n            privileged: true\n",
)
SERVICES = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web-copy
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def _repo(make_repo: MakeRepo, config: str = "") -> Path:
    files: dict[str, str | bytes] = {
        "overlays/base/kustomization.yaml": "resources: [deployment.yaml, services.yaml]\n",
        "overlays/base/deployment.yaml": PRIVILEGED,
        "overlays/base/services.yaml": SERVICES,
        "overlays/shop/kustomization.yaml": "namespace: shop\nresources: [../base]\n",
        "overlays/legacy/kustomization.yaml": "namespace: legacy\nresources: [../base]\n",
        "gitops-validator.yaml": (
            "environments:\n  shop: {path: overlays/shop}\n  legacy: {path: overlays/legacy}\n"
            f"policies:\n  builtin: none\n  paths: [policies]\n{config}"
        ),
    }
    for name in POLICY_FILES:
        files[f"policies/{name}"] = (LIBRARY / name).read_text()
    return make_repo(files)


def _findings(run_cli: RunCli, repo: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run_cli("validate", "--format", "json", *args, cwd=repo)
    assert result.code in (0, 1), result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    return result.code, [f for f in findings if f["category"] == "policy"]


def test_constraints_evaluate_with_actions_and_inventory(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = _repo(make_repo)
    code, findings = _findings(run_cli, repo, "--env", "shop")
    assert code == 1
    got = sorted((f["ruleId"], f["resource"]["name"], f["severity"]) for f in findings)
    assert got == [
        ("k8snoprivileged/no-privileged", "web", "warning"),  # enforcementAction: warn
        ("k8srequiredlabels/must-have-owner", "web", "error"),  # deny (the default)
        ("k8suniqueselector/unique-service-selector", "web", "info"),  # dryrun, data.inventory
        ("k8suniqueselector/unique-service-selector", "web-copy", "info"),
    ]
    assert {f["family"] for f in findings} == {"gatekeeper"}
    labels = next(f for f in findings if f["ruleId"].startswith("k8srequiredlabels"))
    assert labels["message"] == "[cel] missing required label, requires all of: owner"  # CEL ran
    privileged = next(f for f in findings if f["ruleId"].startswith("k8snoprivileged"))
    assert privileged["path"] == "/spec/template/spec/containers/0"
    assert privileged["location"]["file"] == "overlays/base/deployment.yaml"
    source = (repo / "overlays/base/deployment.yaml").read_text().splitlines()
    assert "- name: web" in source[privileged["location"]["line"] - 1]


def test_namespace_match_and_configured_exclusions(make_repo: MakeRepo, run_cli: RunCli) -> None:
    # must-have-owner matches namespaces shop*: nothing in legacy; a Config-style exclusion
    # in the configuration removes legacy from every constraint.
    repo = _repo(make_repo)
    _, findings = _findings(run_cli, repo, "--env", "legacy")
    assert {f["ruleId"] for f in findings} == {
        "k8snoprivileged/no-privileged",
        "k8suniqueselector/unique-service-selector",
    }
    excluded = _repo(make_repo, "  gatekeeper:\n    excludedNamespaces: [leg*]\n")
    code, findings = _findings(run_cli, excluded, "--env", "legacy")
    assert (code, findings) == (0, [])


def test_rego_engine_runs_when_asked(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = _repo(make_repo, "  gatekeeper:\n    engine: rego\n")
    _, findings = _findings(run_cli, repo, "--env", "shop")
    labels = next(f for f in findings if f["ruleId"].startswith("k8srequiredlabels"))
    assert labels["message"] == '[rego] you must provide labels: {"owner"}'


def test_exceptions_file_waives_a_constraint(make_repo: MakeRepo, run_cli: RunCli) -> None:
    exceptions = """exceptions:
  - policy: k8snoprivileged/*
    resources: [{kind: Deployment, name: web}]
    containers: [web]
    reason: the web server needs raw sockets until v2
    owner: team-web
    expires: 2099-01-01
"""
    repo = _repo(make_repo, "  exceptions: exceptions.yaml\n")
    (repo / "exceptions.yaml").write_text(exceptions)
    _, findings = _findings(run_cli, repo, "--env", "shop")
    assert "k8snoprivileged/no-privileged" not in {f["ruleId"] for f in findings}


def test_bad_parameters_are_a_clear_error(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    constraint = repo / "policies/requiredlabels/samples/owner/constraint.yaml"
    constraint.write_text(constraint.read_text().replace("- key: owner", "- key: 7"))
    result = run_cli("validate", cwd=repo)
    assert result.code == 3
    assert "spec.parameters: labels/0/key: 7 is not of type" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_policy_test_runs_gator_suites_with_either_engine(tmp_path: Path, run_cli: RunCli) -> None:
    shutil.copytree(LIBRARY, tmp_path / "library")
    for engine in ("cel", "rego"):
        result = run_cli("policy", "test", "library", "--gatekeeper-engine", engine, cwd=tmp_path)
        assert result.code == 0, result.stdout
        assert result.stdout.strip().splitlines()[-1] == "9 passed, 0 failed, 0 errors"
    suite = tmp_path / "library/requiredlabels/suite.yaml"
    suite.write_text(suite.read_text().replace("- violations: 1\n", "- violations: 3\n"))
    result = run_cli("policy", "test", "library", cwd=tmp_path)
    assert result.code == 1
    assert "FAIL  k8srequiredlabels x missing-label" in result.stdout
    assert "expected violations: 3, got 1" in result.stdout


EXTERNAL = """apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sexternal
spec:
  crd:
    spec:
      names:
        kind: K8sExternal
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sexternal

        violation[{"msg": msg}] {
          response := external_data({"provider": "signatures", "keys": ["nginx"]})
          count(response.errors) > 0
          msg := "unsigned"
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sExternal
metadata:
  name: signed-images
"""


def test_template_that_cannot_run_offline_is_an_error(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    (repo / "policies/external.yaml").write_text(EXTERNAL)
    code, findings = _findings(run_cli, repo, "--env", "shop")
    assert code == 1
    external = [f for f in findings if f["ruleId"] == "k8sexternal/signed-images"]
    assert len(external) == 1
    assert external[0]["severity"] == "error"
    assert "external_data" in external[0]["message"]
    assert external[0]["location"]["file"] == "policies/external.yaml"
    assert "k8srequiredlabels/must-have-owner" in {f["ruleId"] for f in findings}


TEAM_LABEL = """apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredLabels
metadata:
  name: prod-needs-team
spec:
  match:
    kinds: [{apiGroups: ["*"], kinds: ["*"]}]
    scope: Namespaced
    namespaceSelector:
      matchLabels: {tier: prod}
  parameters:
    labels: [{key: team}]
"""


def test_namespace_selector_reads_the_environments_namespaces(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = _repo(make_repo)
    (repo / "policies/team.yaml").write_text(TEAM_LABEL)
    (repo / "overlays/shop/namespace.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {tier: prod}\n"
    )
    (repo / "overlays/shop/kustomization.yaml").write_text(
        "namespace: shop\nresources: [../base, namespace.yaml]\n"
    )
    _, shop = _findings(run_cli, repo, "--env", "shop")
    named = sorted(
        (f["resource"]["kind"], f["resource"]["name"])
        for f in shop
        if f["ruleId"] == "k8srequiredlabels/prod-needs-team"
    )
    assert named == [("Deployment", "web"), ("Service", "web"), ("Service", "web-copy")]
    _, legacy = _findings(run_cli, repo, "--env", "legacy")  # namespace legacy: no tier label
    assert "k8srequiredlabels/prod-needs-team" not in {f["ruleId"] for f in legacy}


def test_policy_list_shows_constraints(make_repo: MakeRepo, run_cli: RunCli) -> None:
    result = run_cli("policy", "list", cwd=_repo(make_repo))
    assert result.code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if "/" in line.split()[0]]
    assert sorted(row[:3] for row in rows) == [
        ["k8snoprivileged/no-privileged", "gatekeeper", "warning"],
        ["k8srequiredlabels/must-have-owner", "gatekeeper", "error"],
        ["k8suniqueselector/unique-service-selector", "gatekeeper", "info"],
    ]


def test_template_whose_cel_cannot_compile_runs_its_rego(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = _repo(make_repo)
    template = repo / "policies/requiredlabels/template.yaml"
    template.write_text(
        template.read_text().replace("entry.key in variables.labels)'", "entry.key in)'", 1)
    )
    _, findings = _findings(run_cli, repo, "--env", "shop")
    note = next(f for f in findings if f["ruleId"] == "k8srequiredlabels")
    assert note["severity"] == "info"
    assert note["message"].startswith("ran the template's Rego: its CEL cannot be compiled here")
    assert note["location"]["file"] == "policies/requiredlabels/template.yaml"
    labels = next(f for f in findings if f["ruleId"] == "k8srequiredlabels/must-have-owner")
    assert labels["message"] == '[rego] you must provide labels: {"owner"}'
