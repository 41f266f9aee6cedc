"""Kyverno policies through the CLI: validate blocks, nothing is silently ignored, policy list
shows what was skipped, and kyverno-test.yaml manifests run or fail loudly."""

from __future__ import annotations

import json

from support import RunCli, deployment

POLICY = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-latest-tag
spec:
  validationFailureAction: Enforce
  rules:
    - name: require-image-tag
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: "An image tag is required."
        pattern:
          spec:
            containers:
              - image: "!*:latest"
    - name: add-label
      match:
        any:
          - resources:
              kinds: [Pod]
      mutate:
        patchStrategicMerge:
          metadata:
            labels:
              team: x
"""
UNSUPPORTED = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: check-manifests
spec:
  rules:
    - name: signed
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        manifests:
          attestors: []
---
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: verify-images
spec: {}
"""


def repository(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "app/kustomization.yaml": "namespace: shop\nresources:\n  - deployment.yaml\n",
        "app/deployment.yaml": deployment("web", image="nginx:latest"),
        "policies/local/latest.yaml": POLICY,
        "gitops-validator.yaml": "environments:\n  dev: {path: app}\n"
        "policies:\n  builtin: none\n  paths: [policies/local]\n",
        **(extra or {}),
    }


def test_a_cluster_policy_blocks_a_bad_object(make_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", "--format", "json", cwd=make_repo(repository()))
    assert result.code == 1, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    found = [f for f in findings if f["ruleId"] == "disallow-latest-tag"]
    assert len(found) == 1
    assert found[0]["severity"] == "error"
    assert found[0]["path"] == "/spec/template/spec/containers/0/image"
    assert "An image tag is required." in found[0]["message"]
    assert "autogen-require-image-tag" in found[0]["message"]
    assert found[0]["location"]["file"] == "app/deployment.yaml"


def test_unrunnable_policy_documents_are_errors_with_file_and_line(
    make_repo, run_cli: RunCli
) -> None:
    files = repository({"policies/local/unsupported.yaml": UNSUPPORTED})
    files["app/deployment.yaml"] = deployment("web", image="nginx:1.27")
    result = run_cli("validate", "--format", "json", cwd=make_repo(files))
    assert result.code == 1
    findings = [
        f for f in json.loads(result.stdout)["findings"] if f["ruleId"] == "policy-unsupported"
    ]
    where = {(f["location"]["file"], f["location"]["line"]) for f in findings}
    assert where == {
        ("policies/local/unsupported.yaml", 1),
        ("policies/local/unsupported.yaml", 16),
    }
    messages = " | ".join(f["message"] for f in findings)
    assert "validate.manifests is not supported offline" in messages
    assert "ImageValidatingPolicy 'verify-images'" in messages


def test_policy_list_shows_kyverno_policies_and_what_was_skipped(
    make_repo, run_cli: RunCli
) -> None:
    files = repository({"policies/local/unsupported.yaml": UNSUPPORTED})
    result = run_cli("policy", "list", cwd=make_repo(files))
    assert result.code == 0
    assert "disallow-latest-tag" in result.stdout
    assert "skipped: add-label (mutate rule: not a validation)" in result.stdout
    assert "not run: policies/local/unsupported.yaml:16:" in result.stdout


KYVERNO_TEST = """apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: latest
policies: [policy.yaml]
resources: [resources.yaml]
results:
  - policy: disallow-latest-tag
    rule: require-image-tag
    resources: [good, bad]
    kind: Pod
    result: {result}
  - policy: disallow-latest-tag
    rule: require-image-tag
    resources: [deploy]
    kind: Deployment
    result: fail
"""
RESOURCES = """apiVersion: v1
kind: Pod
metadata: {name: good}
spec: {containers: [{name: a, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: [{name: a, image: "nginx:latest"}]}
---
""" + deployment("deploy", image="nginx:latest")


def test_kyverno_test_manifest_scores_rules_and_autogen(make_repo, run_cli: RunCli) -> None:
    root = make_repo(
        {
            "t/policy.yaml": POLICY,
            "t/resources.yaml": RESOURCES,
            "t/kyverno-test.yaml": KYVERNO_TEST.format(result="pass"),
        }
    )
    result = run_cli("policy", "test", "t", cwd=root)
    assert result.code == 1
    assert "FAIL  disallow-latest-tag/require-image-tag x bad: expected pass, got fail" in (
        result.stdout
    )
    assert "2 passed, 1 failed, 0 errors" in result.stdout


def test_unknown_fields_in_a_kyverno_test_are_errors(make_repo, run_cli: RunCli) -> None:
    for field in ("resourceSpecs: [{name: good}]", "resource: good"):
        manifest = KYVERNO_TEST.format(result="pass").replace(
            "    resources: [good, bad]", f"    {field}"
        )
        root = make_repo(
            {
                "t/policy.yaml": POLICY,
                "t/resources.yaml": RESOURCES,
                "t/kyverno-test.yaml": manifest,
            }
        )
        result = run_cli("policy", "test", "t", cwd=root)
        assert result.code == 1
        assert "are not supported (use 'resources')" in result.stdout, result.stdout


def test_payload_tests_fail_loudly(make_repo, run_cli: RunCli) -> None:
    manifest = KYVERNO_TEST.format(result="pass") + "jsonPayloads: [payload.json]\n"
    root = make_repo(
        {"t/policy.yaml": POLICY, "t/resources.yaml": RESOURCES, "t/kyverno-test.yaml": manifest}
    )
    result = run_cli("policy", "test", "t", cwd=root)
    assert result.code == 1
    assert "jsonPayloads tests are not supported" in result.stdout
