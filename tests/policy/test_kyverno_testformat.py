"""kyverno-test.yaml semantics: values (operation, namespace labels), default namespaces,
duplicates, rows the rule does not apply to, unknown rules and mutate results."""

from __future__ import annotations

from pathlib import Path

import yaml

from validator.policy.testing import run_policy_tests

POLICY = {
    "apiVersion": "kyverno.io/v1",
    "kind": "ClusterPolicy",
    "metadata": {"name": "no-delete"},
    "spec": {
        "rules": [
            {
                "name": "deny-delete",
                "match": {
                    "any": [
                        {
                            "resources": {
                                "kinds": ["Pod"],
                                "operations": ["DELETE"],
                                "namespaceSelector": {"matchLabels": {"env": "prod"}},
                            }
                        }
                    ]
                },
                "validate": {"message": "no deletes in prod", "deny": {}},
            },
            {
                "name": "label-pods",
                "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                "mutate": {"patchStrategicMerge": {"metadata": {"labels": {"a": "b"}}}},
            },
        ]
    },
}


def pod(name: str, namespace: str | None = None) -> dict[str, object]:
    metadata: dict[str, object] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "a", "image": "x:1"}]},
    }


def write_test(root: Path, results: list[dict[str, object]], values: dict[str, object]) -> Path:
    (root / "policy.yaml").write_text(yaml.safe_dump(POLICY))
    resources = [pod("web", "shop"), pod("web", "shop"), pod("api")]  # a duplicate, no namespace
    (root / "resources.yaml").write_text(yaml.safe_dump_all(resources))
    (root / "values.yaml").write_text(yaml.safe_dump({"kind": "Values", **values}))
    test = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "t"},
        "policies": ["policy.yaml"],
        "resources": ["resources.yaml"],
        "variables": "values.yaml",
        "results": results,
    }
    (root / "kyverno-test.yaml").write_text(yaml.safe_dump(test))
    return root


VALUES = {
    "globalValues": {"request.operation": "DELETE"},
    "namespaceSelector": [{"name": "shop", "labels": {"env": "prod"}}],
}


def test_values_operation_and_namespace_labels_and_default_namespace(tmp_path: Path) -> None:
    results = [
        {"policy": "no-delete", "rule": "deny-delete", "resources": ["shop/web"], "result": "fail"},
        # `api` has no namespace: it gets `default`, whose labels do not match
        {
            "policy": "no-delete",
            "rule": "deny-delete",
            "resources": ["default/api"],
            "result": "skip",
        },
    ]
    report = run_policy_tests([write_test(tmp_path, results, VALUES)])
    assert report.errors == []
    assert [(r.resource, r.actual, r.ok) for r in report.results] == [
        ("shop/web", "fail", True),
        ("default/api", "excluded", True),
    ]


def test_an_expected_fail_where_the_rule_does_not_apply_is_a_failure(tmp_path: Path) -> None:
    results = [
        {"policy": "no-delete", "rule": "deny-delete", "resources": ["api"], "result": "fail"}
    ]
    report = run_policy_tests([write_test(tmp_path, results, VALUES)])
    assert [(r.actual, r.ok) for r in report.results] == [("excluded", False)]
    assert "Kyverno CLI would count this row as a pass" in report.results[0].detail


def test_unknown_rules_and_mutate_results_are_never_passes(tmp_path: Path) -> None:
    results = [
        {"policy": "no-delete", "rule": "nope", "resources": ["web"], "result": "pass"},
        {"policy": "no-delete", "rule": "label-pods", "resources": ["web"], "result": "pass"},
        {
            "policy": "no-delete",
            "rule": "label-pods",
            "resources": ["web"],
            "result": "pass",
            "patchedResources": "patched.yaml",
        },
        {"policy": "missing", "rule": "x", "resources": ["web"], "result": "pass"},
        {"policy": "no-delete", "rule": "deny-delete", "resources": ["ghost"], "result": "pass"},
    ]
    report = run_policy_tests([write_test(tmp_path, results, VALUES)])
    assert [r.ok for r in report.results] == [False] * 5
    details = [r.detail for r in report.results]
    assert "unknown rule 'nope'" in details[0]
    assert "mutate rule: not a validation" in details[1]
    assert "patchedResources: not a validation" in details[2]
    assert "unknown policy 'missing'" in details[3]
    assert "unknown resource 'ghost'" in details[4]
