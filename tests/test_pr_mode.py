"""PR mode (--changed-since) and pre-commit mode (--files) through the real CLI and git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support import RunCli, deployment, three_environments

from validator import pipeline
from validator.config import Overrides, resolve_settings

REPLICA_POLICY = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicas-may-not-halve
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [deployments]
  validations:
    - expression: >-
        oldObject == null || object.spec.replicas * 2 >= oldObject.spec.replicas
      message: replicas may not drop below half of the previous value
"""


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _commit_all(repo: Path, message: str = "change") -> None:
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)


def _repo(make_repo) -> Path:
    files = three_environments()
    files["overlays/base/deployment.yaml"] = deployment("web", replicas=4)
    files["policies/local/replicas.yaml"] = REPLICA_POLICY
    files["gitops-validator.yaml"] += "policies:\n  builtin: none\n  paths: [policies/local]\n"
    repo = make_repo(files)
    _commit_all(repo, "base")
    return repo


def _prod_replicas(repo: Path, count: int) -> None:
    (repo / "overlays/prod/kustomization.yaml").write_text(
        "namespace: shop-prod\nresources:\n  - ../base\n"
        f"replicas:\n  - name: web\n    count: {count}\n"
    )


def test_only_changed_environments_are_validated(make_repo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    _prod_replicas(repo, 3)
    result = run_cli("validate", "--changed-since", "HEAD", "--format", "json", cwd=repo)
    assert result.code == 0, result.stdout + result.stderr
    assert [env["name"] for env in json.loads(result.stdout)["environments"]] == ["prod"]


def test_transition_rules_see_the_base_object(make_repo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    _prod_replicas(repo, 1)
    without_base = run_cli("validate", "--format", "json", cwd=repo)
    assert without_base.code == 0, without_base.stdout  # no oldObject: the rule cannot fire
    pr = run_cli("validate", "--changed-since", "HEAD", "--format", "json", cwd=repo)
    assert pr.code == 1, pr.stdout + pr.stderr
    [finding] = json.loads(pr.stdout)["findings"]
    assert finding["ruleId"] == "replicas-may-not-halve"
    assert finding["environment"] == "prod"
    assert finding["location"]["file"] == "overlays/prod/kustomization.yaml"


def test_findings_present_at_the_base_do_not_block_with_new_only(make_repo, run_cli) -> None:
    repo = _repo(make_repo)
    (repo / "overlays/base/extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '1', a: '2'}\n"
    )
    (repo / "overlays/base/kustomization.yaml").write_text(
        "resources:\n  - deployment.yaml\n  - extra.yaml\n"
    )
    _commit_all(repo, "a duplicate key that is already on main")
    _prod_replicas(repo, 3)
    plain = run_cli("validate", "--changed-since", "HEAD", cwd=repo)
    assert plain.code == 1
    new_only = run_cli("validate", "--changed-since", "HEAD", "--new-only", cwd=repo)
    assert new_only.code == 0, new_only.stdout + new_only.stderr
    assert "yaml-duplicate-key" in new_only.stdout


def test_base_is_rendered_without_touching_the_checkout(make_repo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    _prod_replicas(repo, 3)
    (repo / "overlays/prod/notes.txt").write_text("uncommitted\n")
    status_before = _git(repo, "status", "--porcelain")
    result = run_cli("validate", "--changed-since", "HEAD", cwd=repo)
    assert result.code == 0, result.stderr
    assert _git(repo, "status", "--porcelain") == status_before
    assert len(_git(repo, "worktree", "list").splitlines()) == 1


def test_rendered_diff_masks_secret_values(make_repo) -> None:
    repo = _repo(make_repo)
    canary_old, canary_new = "canary-old-91ab", "canary-new-27cd"
    kustomization = repo / "overlays/prod/kustomization.yaml"
    generator = "secretGenerator:\n  - name: db\n    literals: [password={}]\n"
    kustomization.write_text(kustomization.read_text() + generator.format(canary_old))
    _commit_all(repo)
    kustomization.write_text(
        kustomization.read_text().replace(canary_old, canary_new) + "commonLabels: {tier: web}\n"
    )
    settings = resolve_settings(repo, Overrides(no_cache=True), environ={})
    report = pipeline.validate(settings, pipeline.ValidateRequest(changed_since="HEAD"))
    diff = report.diffs["prod"]
    assert "+    tier: web" in diff
    assert canary_old not in diff and canary_new not in diff


def test_unknown_revision_is_a_usage_error(make_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", "--changed-since", "no-such-branch", cwd=_repo(make_repo))
    assert result.code == 2
    assert "no-such-branch" not in result.stdout


def test_files_select_the_environments_that_read_them(make_repo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    only_prod = run_cli(
        "validate", "--format", "json", "--files", "overlays/prod/kustomization.yaml", cwd=repo
    )
    assert [e["name"] for e in json.loads(only_prod.stdout)["environments"]] == ["prod"]
    base = run_cli(
        "validate", "--format", "json", "--files", "overlays/base/deployment.yaml", cwd=repo
    )
    assert len(json.loads(base.stdout)["environments"]) == 3
    unrelated = run_cli("validate", "--format", "json", "--files", "README.md", cwd=repo)
    assert unrelated.code == 0
    assert json.loads(unrelated.stdout)["environments"] == []


def test_two_commits_against_head_parent(make_repo, run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(make_repo)
    _prod_replicas(repo, 1)
    _commit_all(repo, "scale prod down")
    comment = tmp_path / "comment.md"
    result = run_cli(
        "validate",
        "--changed-since",
        "HEAD~1",
        "--format",
        "json",
        "--format",
        f"markdown={comment}",
        cwd=repo,
    )
    assert result.code == 1, result.stderr
    document = json.loads(result.stdout)
    assert [env["name"] for env in document["environments"]] == ["prod"]
    [finding] = document["findings"]
    assert finding["ruleId"] == "replicas-may-not-halve"  # the rule saw oldObject
    markdown = comment.read_text()
    assert "<!-- gitops-validator -->" in markdown
    assert "-  replicas: 4" in markdown
    assert "+  replicas: 1" in markdown


def test_diff_masks_credentials_the_secrets_stage_found(make_repo) -> None:
    repo = _repo(make_repo)
    canary = "AKIA" + "Z7CANARYQ3XK4PLM"
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cloud}\n"
    (repo / "overlays/prod/cloud.yaml").write_text(
        config + f"data:\n  AWS_ACCESS_KEY_ID: {canary}\n"
    )
    _prod_replicas(repo, 3)
    kustomization = repo / "overlays/prod/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("  - ../base\n", "  - ../base\n  - cloud.yaml\n")
    )
    settings = resolve_settings(repo, Overrides(no_cache=True), environ={})
    report = pipeline.validate(settings, pipeline.ValidateRequest(changed_since="HEAD"))
    assert "AWS_ACCESS_KEY_ID" in report.diffs["prod"]
    assert canary not in report.diffs["prod"]


def test_an_environment_added_by_the_change_has_no_base(make_repo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    (repo / "overlays/qa").mkdir()
    (repo / "overlays/qa/kustomization.yaml").write_text("namespace: qa\nresources: [../base]\n")
    config = repo / "gitops-validator.yaml"
    config.write_text(config.read_text().replace("  prod:", "  qa: {path: overlays/qa}\n  prod:"))
    result = run_cli("validate", "--changed-since", "HEAD", "--format", "json", cwd=repo)
    assert result.code == 0, result.stdout + result.stderr
    assert "qa" in [env["name"] for env in json.loads(result.stdout)["environments"]]


def test_a_policy_change_checks_every_environment(make_repo, run_cli: RunCli) -> None:
    repo = _repo(make_repo)
    policy = repo / "policies/local/replicas.yaml"
    policy.write_text(policy.read_text().replace(">= oldObject.spec.replicas", ">= 100"))
    policy.write_text(policy.read_text().replace("oldObject == null || ", ""))
    result = run_cli("validate", "--changed-since", "HEAD", "--format", "json", cwd=repo)
    assert result.code == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert [env["name"] for env in document["environments"]] == ["dev", "staging", "prod"]
