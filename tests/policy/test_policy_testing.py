"""`policy test`: our PolicyTest manifests and Kyverno Test manifests (with autogen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from policy_helpers import pod, vap, write_yaml

from validator.policy import run_policy_tests

NO_PRIV_CHECK = "object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))"
PRIVILEGED = [{"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": True}}]


def _our_test(results: list[dict[str, Any]], policy_file: str = "policy.yaml") -> dict[str, Any]:
    return {
        "apiVersion": "policies.gitops-validator.io/v1alpha1",
        "kind": "PolicyTest",
        "metadata": {"name": "privileged"},
        "policies": [policy_file],
        "resources": [pod("good"), pod("bad", containers=PRIVILEGED)],
        "results": results,
    }


def _setup(tmp_path: Path, results: list[dict[str, Any]]) -> Path:
    write_yaml(tmp_path / "policy.yaml", vap("no-priv", [{"expression": NO_PRIV_CHECK}]))
    return write_yaml(tmp_path / "privileged.test.yaml", _our_test(results))


def test_correct_expectations_pass(tmp_path: Path) -> None:
    _setup(
        tmp_path,
        [
            {"policy": "no-priv", "resources": ["Pod/shop/good"], "result": "pass"},
            {"policy": "no-priv", "resource": "Pod/bad", "result": "fail"},
        ],
    )
    report = run_policy_tests([tmp_path])
    assert report.passed and len(report.results) == 2


def test_wrong_expected_result_fails_with_actual(tmp_path: Path) -> None:
    _setup(tmp_path, [{"policy": "no-priv", "resources": ["Pod/shop/bad"], "result": "pass"}])
    report = run_policy_tests([tmp_path])
    assert not report.passed
    [failure] = report.failures
    assert (failure.expected, failure.actual) == ("pass", "fail")


def test_unknown_policy_or_resource_is_a_failure_never_a_pass(tmp_path: Path) -> None:
    _setup(
        tmp_path,
        [
            {"policy": "no-such-policy", "resources": ["Pod/shop/good"], "result": "skip"},
            {"policy": "no-priv", "resources": ["Pod/shop/ghost"], "result": "skip"},
        ],
    )
    report = run_policy_tests([tmp_path])
    assert not report.passed
    details = sorted(f.detail for f in report.failures)
    assert details[0].startswith("unknown policy 'no-such-policy'")
    assert details[1].startswith("unknown resource 'Pod/shop/ghost'")


def test_no_manifest_and_missing_policy_file_are_errors(tmp_path: Path) -> None:
    assert not run_policy_tests([tmp_path]).passed
    write_yaml(
        tmp_path / "t.test.yaml",
        _our_test([{"policy": "x", "resource": "Pod/good", "result": "pass"}], "nope.yaml"),
    )
    report = run_policy_tests([tmp_path])
    assert not report.passed and "not found" in report.errors[0]


KYVERNO_POLICY = {
    "apiVersion": "policies.kyverno.io/v1",
    "kind": "ValidatingPolicy",
    "metadata": {"name": "disallow-privileged"},
    "spec": {
        "validationActions": ["Deny"],
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["pods"],
                }
            ]
        },
        "validations": [
            {"expression": NO_PRIV_CHECK, "message": "privileged containers are not allowed"}
        ],
    },
}


def _controllers() -> list[dict[str, Any]]:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": PRIVILEGED}}
    good_template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "a", "image": "a:1"}]},
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "bad-deploy", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "good-deploy", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": good_template},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "bad-cron", "namespace": "shop"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"ports": [{"port": 80}]},
        },
    ]


def test_kyverno_test_with_autogen_for_deployments_and_cronjobs(tmp_path: Path) -> None:
    write_yaml(tmp_path / "policy.yaml", KYVERNO_POLICY)
    write_yaml(tmp_path / "resources.yaml", pod("bad-pod", containers=PRIVILEGED), *_controllers())
    test = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "privileged"},
        "policies": ["policy.yaml"],
        "resources": ["resources.yaml"],
        "results": [
            {
                "isValidatingPolicy": True,
                "policy": "disallow-privileged",
                "kind": "Pod",
                "resources": ["shop/bad-pod"],
                "result": "fail",
            },
            {
                "isValidatingPolicy": True,
                "policy": "disallow-privileged",
                "kind": "Deployment",
                "resources": ["bad-deploy"],
                "result": "fail",
            },
            {
                "isValidatingPolicy": True,
                "policy": "disallow-privileged",
                "kind": "Deployment",
                "resources": ["good-deploy"],
                "result": "pass",
            },
            {
                "isValidatingPolicy": True,
                "policy": "disallow-privileged",
                "kind": "CronJob",
                "resources": ["bad-cron"],
                "result": "fail",
            },
            {
                "isValidatingPolicy": True,
                "policy": "disallow-privileged",
                "kind": "Service",
                "resources": ["web"],
                "result": "skip",
            },
        ],
    }
    write_yaml(tmp_path / "kyverno-test.yaml", test)
    report = run_policy_tests([tmp_path / "kyverno-test.yaml"])
    assert report.passed, [
        (f.resource, f.actual, f.detail) for f in report.failures
    ] + report.errors
    assert len(report.results) == 5


def test_kyverno_autogen_can_be_limited_to_some_controllers(tmp_path: Path) -> None:
    policy = {
        **KYVERNO_POLICY,
        "spec": {
            **KYVERNO_POLICY["spec"],
            "autogen": {"podControllers": {"controllers": ["deployments"]}},
        },
    }
    write_yaml(tmp_path / "policy.yaml", policy)
    write_yaml(tmp_path / "resources.yaml", *_controllers())
    test = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "t"},
        "policies": ["policy.yaml"],
        "resources": ["resources.yaml"],
        "results": [
            {
                "policy": "disallow-privileged",
                "kind": "CronJob",
                "resources": ["bad-cron"],
                "result": "skip",
            },
            {
                "policy": "disallow-privileged",
                "kind": "Deployment",
                "resources": ["bad-deploy"],
                "result": "fail",
            },
        ],
    }
    write_yaml(tmp_path / "kyverno-test.yaml", test)
    assert run_policy_tests([tmp_path / "kyverno-test.yaml"]).passed


def test_kyverno_values_namespace_selector_labels(tmp_path: Path) -> None:
    policy = {
        **KYVERNO_POLICY,
        "spec": {
            **KYVERNO_POLICY["spec"],
            "matchConstraints": {
                **KYVERNO_POLICY["spec"]["matchConstraints"],
                "namespaceSelector": {"matchLabels": {"env": "prod"}},
            },
        },
    }
    write_yaml(tmp_path / "policy.yaml", policy)
    write_yaml(
        tmp_path / "resources.yaml",
        pod("a", "shop", containers=PRIVILEGED),
        pod("b", "lab", containers=PRIVILEGED),
    )
    write_yaml(
        tmp_path / "values.yaml",
        {
            "apiVersion": "cli.kyverno.io/v1alpha1",
            "kind": "Values",
            "namespaceSelector": [{"name": "shop", "labels": {"env": "prod"}}],
        },
    )
    test = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "t"},
        "policies": ["policy.yaml"],
        "resources": ["resources.yaml"],
        "variables": "values.yaml",
        "results": [
            {"policy": "disallow-privileged", "resources": ["shop/a"], "result": "fail"},
            {"policy": "disallow-privileged", "resources": ["lab/b"], "result": "skip"},
        ],
    }
    write_yaml(tmp_path / "kyverno-test.yaml", test)
    report = run_policy_tests([tmp_path / "kyverno-test.yaml"])
    assert report.passed, [(f.resource, f.actual) for f in report.failures]
