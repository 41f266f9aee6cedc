"""Kyverno ClusterPolicy validate rules through the engine: match/exclude, failure actions,
deny, preconditions, foreach, variables, context, autogen and PolicyExceptions."""

from __future__ import annotations

from typing import Any

from kyverno_helpers import (
    cluster_policy,
    deployment,
    engine_for,
    env_of,
    pod,
    rule,
    rule_results,
)

from validator.model import Severity

NO_LATEST = {
    "message": "Using a mutable image tag e.g. 'latest' is not allowed.",
    "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}},
}


def statuses(results: dict[tuple[str, str], Any]) -> dict[tuple[str, str], str]:
    return {key: result.result for key, result in results.items()}


def test_pattern_rule_fails_with_kyvernos_message_and_path() -> None:
    policy = cluster_policy("disallow-latest", rule("no-latest", NO_LATEST))
    results = rule_results(policy, pod("good"), pod("bad", containers=[{"image": "x:latest"}]))
    assert results[("good", "no-latest")].result == "pass"
    bad = results[("bad", "no-latest")]
    assert bad.result == "fail"
    assert bad.message == (
        "validation error: Using a mutable image tag e.g. 'latest' is not allowed. "
        "rule no-latest failed at path /spec/containers/0/image/"
    )
    assert bad.path == "/spec/containers/0/image"


def test_failure_action_enforce_is_an_error_and_audit_a_warning() -> None:
    bad = pod("bad", containers=[{"image": "x:latest"}])
    for action, severity in (("Enforce", Severity.ERROR), ("Audit", Severity.WARNING)):
        policy = cluster_policy("p", rule("r", NO_LATEST), validationFailureAction=action)
        findings = engine_for(policy).evaluate(env_of(bad))
        assert [f.severity for f in findings] == [severity]
    # the rule's own failureAction wins over the deprecated spec-level field
    policy = cluster_policy(
        "p", rule("r", {**NO_LATEST, "failureAction": "Enforce"}), validationFailureAction="Audit"
    )
    assert [f.severity for f in engine_for(policy).evaluate(env_of(bad))] == [Severity.ERROR]


def test_match_kinds_names_namespaces_and_exclude() -> None:
    raw = rule("r", NO_LATEST)
    raw["match"] = {
        "any": [{"resources": {"kinds": ["v1/Pod"], "names": ["web-*"], "namespaces": ["shop"]}}]
    }
    raw["exclude"] = {"any": [{"resources": {"selector": {"matchLabels": {"skip": "yes"}}}}]}
    latest = [{"image": "x:latest"}]
    results = rule_results(
        cluster_policy("p", raw),
        pod("web-1", containers=latest),
        pod("api-1", containers=latest),
        pod("web-2", namespace="other", containers=latest),
        pod("web-3", containers=latest, labels={"skip": "yes"}),
    )
    assert statuses(results) == {("web-1", "r"): "fail"}


def test_match_all_needs_every_filter_and_subjects_are_absent_offline() -> None:
    raw = rule("r", NO_LATEST)
    raw["match"] = {
        "all": [{"resources": {"kinds": ["Pod"]}}, {"resources": {"namespaces": ["shop"]}}]
    }
    raw["exclude"] = {"any": [{"subjects": [{"kind": "User", "name": "admin"}]}]}
    results = rule_results(cluster_policy("p", raw), pod("a"), pod("b", namespace="x"))
    assert statuses(results) == {("a", "r"): "pass"}


def test_deny_conditions_with_any_and_all() -> None:
    validate = {
        "message": "no host ports",
        "deny": {
            "conditions": {
                "any": [
                    {
                        "key": "{{ request.object.spec.hostNetwork || `false` }}",
                        "operator": "Equals",
                        "value": True,
                    },
                    {
                        "key": "{{ request.object.spec.containers[].ports[].hostPort || `[]` }}",
                        "operator": "AnyNotIn",
                        "value": ["0"],
                    },
                ]
            }
        },
    }
    results = rule_results(
        cluster_policy("p", rule("r", validate)),
        pod("ok"),
        pod("net", hostNetwork=True),
        pod("port", containers=[{"name": "a", "image": "x", "ports": [{"hostPort": 80}]}]),
    )
    assert statuses(results) == {("ok", "r"): "pass", ("net", "r"): "fail", ("port", "r"): "fail"}
    assert results[("net", "r")].message == "no host ports"


def test_preconditions_false_skip_and_unresolved_variable_is_an_error() -> None:
    skip_rule = rule(
        "r",
        NO_LATEST,
        preconditions={
            "all": [
                {
                    "key": "{{ request.object.metadata.labels.app || '' }}",
                    "operator": "Equals",
                    "value": "web",
                }
            ]
        },
    )
    results = rule_results(cluster_policy("p", skip_rule), pod("a"))
    assert results[("a", "r")].result == "skip"
    broken = rule(
        "r",
        {
            "deny": {
                "conditions": [
                    {"key": "{{ request.object.spec.nothing }}", "operator": "Equals", "value": 1}
                ]
            }
        },
    )
    results = rule_results(cluster_policy("p", broken), pod("a"))
    assert results[("a", "r")].result == "error"
    assert 'Unknown key "nothing"' in results[("a", "r")].message


def test_foreach_with_element_scope_and_preconditions() -> None:
    validate = {
        "message": "images must come from corp.io",
        "foreach": [
            {
                "list": "request.object.spec.containers",
                "preconditions": {
                    "all": [
                        {"key": "{{ element.name }}", "operator": "NotEquals", "value": "sidecar"}
                    ]
                },
                "deny": {
                    "conditions": {
                        "all": [
                            {
                                "key": '{{ images.containers."{{ element.name }}".registry }}',
                                "operator": "NotEquals",
                                "value": "corp.io",
                            }
                        ]
                    }
                },
            }
        ],
    }
    containers_ok = [
        {"name": "app", "image": "corp.io/app:1"},
        {"name": "sidecar", "image": "docker.io/envoy:1"},
    ]
    containers_bad = [{"name": "app", "image": "nginx:1"}]
    results = rule_results(
        cluster_policy("p", rule("r", validate)),
        pod("ok", containers=containers_ok),
        pod("bad", containers=containers_bad),
    )
    assert results[("ok", "r")].result == "pass"
    assert results[("bad", "r")].result == "fail"
    assert results[("bad", "r")].message.startswith("validation failure: ")


def test_nested_foreach_and_pattern_on_the_element() -> None:
    validate = {
        "foreach": [
            {
                "list": "request.object.spec.containers",
                "foreach": [{"list": "element.ports", "pattern": {"containerPort": "<1024"}}],
            }
        ]
    }
    low = [{"name": "a", "image": "x", "ports": [{"containerPort": 80}]}]
    high = [{"name": "a", "image": "x", "ports": [{"containerPort": 8080}]}]
    results = rule_results(
        cluster_policy("p", rule("r", validate)),
        pod("low", containers=low),
        pod("high", containers=high),
    )
    assert statuses(results) == {("low", "r"): "pass", ("high", "r"): "fail"}


def test_context_variable_and_configmap_from_the_repository() -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "allowed", "namespace": "shop"},
        "data": {"registry": "corp.io"},
    }
    validate = {
        "deny": {
            "conditions": {
                "all": [
                    {
                        "key": "{{ first }}",
                        "operator": "NotEquals",
                        "value": "{{ cm.data.registry }}",
                    }
                ]
            }
        }
    }
    raw = rule(
        "r",
        validate,
        context=[
            {
                "name": "cm",
                "configMap": {"name": "allowed", "namespace": "{{ request.namespace }}"},
            },
            {"name": "first", "variable": {"jmesPath": "images.containers.*.registry | [0]"}},
        ],
    )
    results = rule_results(
        cluster_policy("p", raw),
        config,
        pod("ok", containers=[{"name": "a", "image": "corp.io/a:1"}]),
        pod("bad"),
    )
    assert statuses(results) == {("ok", "r"): "pass", ("bad", "r"): "fail"}


def test_missing_configmap_is_an_error_not_a_pass() -> None:
    raw = rule(
        "r",
        {"deny": {"conditions": []}},
        context=[{"name": "cm", "configMap": {"name": "gone", "namespace": "shop"}}],
    )
    results = rule_results(cluster_policy("p", raw), pod("a"))
    assert results[("a", "r")].result == "error"


def test_autogen_checks_pod_templates_of_controllers() -> None:
    policy = cluster_policy("disallow-latest", rule("no-latest", NO_LATEST))
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "shop"},
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:latest"}]}}}
            }
        },
    }
    results = rule_results(policy, deployment("d"), cron)
    assert results[("d", "autogen-no-latest")].result == "fail"
    assert results[("d", "autogen-no-latest")].path == "/spec/template/spec/containers/0/image"
    assert results[("c", "autogen-cronjob-no-latest")].result == "fail"


def test_autogen_annotation_none_and_controller_list() -> None:
    none = cluster_policy(
        "p",
        rule("r", NO_LATEST),
        annotations={"pod-policies.kyverno.io/autogen-controllers": "none"},
    )
    assert rule_results(none, deployment("d")) == {}
    only = cluster_policy(
        "p",
        rule("r", NO_LATEST),
        annotations={"pod-policies.kyverno.io/autogen-controllers": "StatefulSet"},
    )
    assert rule_results(only, deployment("d")) == {}


def test_policy_exception_skips_a_rule_for_matching_resources() -> None:
    policy = cluster_policy("disallow-latest", rule("no-latest", NO_LATEST))
    exception = {
        "apiVersion": "kyverno.io/v2",
        "kind": "PolicyException",
        "metadata": {"name": "allow-legacy", "namespace": "shop"},
        "spec": {
            "exceptions": [{"policyName": "disallow-latest", "ruleNames": ["no-*"]}],
            "match": {"any": [{"resources": {"kinds": ["Pod"], "names": ["legacy"]}}]},
        },
    }
    latest = [{"image": "x:latest"}]
    engine = engine_for(policy, exception)
    outcomes = {
        r.ref.name: o
        for _, r, o in engine.outcomes(
            env_of(pod("legacy", containers=latest), pod("new", containers=latest))
        )
    }
    assert outcomes["legacy"].rules[0].result == "skip"
    assert "shop/allow-legacy" in outcomes["legacy"].rules[0].message
    assert outcomes["new"].rules[0].result == "fail"


def test_enforce_update_skips_when_the_old_object_failed_too() -> None:
    policy = cluster_policy("p", rule("r", NO_LATEST), validationFailureAction="Enforce")
    bad = pod("bad", containers=[{"image": "x:latest"}])
    results = rule_results(policy, bad, operation="UPDATE", old=bad)
    assert results[("bad", "r")].result == "skip"


def test_namespaced_policy_only_sees_its_namespace() -> None:
    policy = {
        "apiVersion": "kyverno.io/v1",
        "kind": "Policy",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"rules": [rule("r", NO_LATEST)]},
    }
    engine = engine_for(policy)
    names = {
        (n, r.ref.name): o.result
        for n, r, o in engine.outcomes(env_of(pod("a"), pod("b", namespace="other")))
    }
    assert names == {("shop/p", "a"): "pass", ("shop/p", "b"): "skip"}


def test_validate_cel_with_variables_preconditions_and_message_fallback() -> None:
    raw = rule(
        "r",
        {
            "message": "replicas must be at most 5",
            "cel": {
                "variables": [{"name": "replicas", "expression": "object.spec.replicas"}],
                "expressions": [{"expression": "variables.replicas <= 5"}],
            },
        },
        kinds=("Deployment",),
        celPreconditions=[{"name": "labelled", "expression": "has(object.metadata.labels)"}],
    )
    small = {**deployment("small"), "spec": {"replicas": 2}}
    big = {**deployment("big"), "spec": {"replicas": 9}}
    big["metadata"] = {**big["metadata"], "labels": {"a": "b"}}
    small["metadata"] = {**small["metadata"], "labels": {"a": "b"}}
    unlabelled = {**deployment("plain"), "spec": {"replicas": 9}}
    results = rule_results(cluster_policy("p", raw), small, big, unlabelled)
    assert statuses(results) == {
        ("small", "r"): "pass",
        ("big", "r"): "fail",
        ("plain", "r"): "skip",
    }
    assert results[("big", "r")].message == "replicas must be at most 5"


def test_validate_cel_params_from_the_objects() -> None:
    raw = rule(
        "r",
        {
            "cel": {
                "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
                "paramRef": {"name": "limits", "namespace": "shop"},
                "expressions": [
                    {
                        "expression": "object.spec.replicas <= int(params.data.max)",
                        "messageExpression": "'at most ' + params.data.max",
                    }
                ],
            }
        },
        kinds=("Deployment",),
    )
    limits = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "limits", "namespace": "shop"},
        "data": {"max": "3"},
    }
    results = rule_results(
        cluster_policy("p", raw), limits, {**deployment("big"), "spec": {"replicas": 4}}
    )
    assert (results[("big", "r")].result, results[("big", "r")].message) == ("fail", "at most 3")


def test_pod_security_rules_are_reported_not_silently_passed() -> None:
    policy = cluster_policy("psa", rule("baseline", {"podSecurity": {"level": "baseline"}}))
    engine = engine_for(policy)
    assert [f.rule_id for f in engine.load_findings()] == ["policy-unsupported"]
    assert "validate.podSecurity is not supported offline" in engine.load_findings()[0].message
    assert rule_results(policy, pod("a")) == {}


def test_a_binding_without_validation_actions_is_deny_like_the_kyverno_cli() -> None:
    from validator.policy.documents import parse_binding

    body = {"metadata": {"name": "b"}, "spec": {"policyName": "p"}}
    assert parse_binding(body, "b.yaml").actions == ("Deny",)
