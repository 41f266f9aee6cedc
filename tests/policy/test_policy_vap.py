"""ValidatingAdmissionPolicy semantics offline: bindings, selectors, params, errors, messages."""

from __future__ import annotations

from typing import Any

from policy_helpers import binding, engine, environment, namespace, outcome, pod, vap

from validator.model import Category, Severity

NO_HOST_NETWORK = [
    {"expression": "!object.spec.?hostNetwork.orValue(false)", "message": "no hostNetwork"}
]


def test_policy_without_binding_denies_cluster_wide_with_json_path() -> None:
    eng = engine([vap("no-host-network", NO_HOST_NETWORK)])
    env = environment([pod("bad", hostNetwork=True), pod("good")])
    findings = eng.evaluate(env)
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.rule_id, finding.category, finding.severity) == (
        "no-host-network",
        Category.POLICY,
        Severity.ERROR,
    )
    assert finding.resource is not None and finding.resource.name == "bad"
    assert finding.path == "/spec/hostNetwork"
    assert finding.message == "no hostNetwork"
    assert finding.environment == "dev"


def test_validation_actions_map_to_severities() -> None:
    policy = vap("no-host-network", NO_HOST_NETWORK)
    for actions, severity in (
        (["Deny"], Severity.ERROR),
        (["Warn", "Audit"], Severity.WARNING),
        (["Audit"], Severity.INFO),
    ):
        eng = engine([policy, binding("b", "no-host-network", actions)])
        [finding] = eng.evaluate(environment([pod("bad", hostNetwork=True)]))
        assert finding.severity is severity
        assert "(binding b)" in finding.message


def test_binding_namespace_selector_uses_namespace_objects_and_name_label() -> None:
    selector = {"matchLabels": {"tier": "prod"}}
    eng = engine(
        [
            vap("no-host-network", NO_HOST_NETWORK),
            binding("b", "no-host-network", matchResources={"namespaceSelector": selector}),
        ]
    )
    env = environment(
        [
            namespace("shop", tier="prod"),
            namespace("lab", tier="dev"),
            pod("a", "shop", hostNetwork=True),
            pod("b", "lab", hostNetwork=True),
        ]
    )
    assert outcome(eng, env, "no-host-network", "Pod/a") == "fail"
    assert outcome(eng, env, "no-host-network", "Pod/b") == "skip"
    by_name = {"matchLabels": {"kubernetes.io/metadata.name": "unlisted"}}
    eng = engine(
        [
            vap(
                "p",
                NO_HOST_NETWORK,
                matchConstraints={"resourceRules": [_pods()], "namespaceSelector": by_name},
            )
        ]
    )
    env = environment([pod("c", "unlisted", hostNetwork=True)])
    assert outcome(eng, env, "p", "Pod/c") == "fail"


def _pods() -> dict[str, Any]:
    return {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["*"], "resources": ["pods"]}


def test_object_selector_and_exclude_rules() -> None:
    constraints = {
        "resourceRules": [_pods()],
        "objectSelector": {"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]},
    }
    eng = engine([vap("p", NO_HOST_NETWORK, matchConstraints=constraints)])
    env = environment(
        [pod("old", labels={"legacy": "yes"}, hostNetwork=True), pod("new", hostNetwork=True)]
    )
    assert outcome(eng, env, "p", "Pod/old") == "skip"
    assert outcome(eng, env, "p", "Pod/new") == "fail"
    excluded = {
        "resourceRules": [{**_pods(), "resources": ["*"]}],
        "excludeResourceRules": [_pods()],
    }
    eng = engine([vap("p", NO_HOST_NETWORK, matchConstraints=excluded)])
    assert outcome(eng, env, "p", "Pod/new") == "skip"


def test_match_conditions_skip_and_see_params_but_not_variables() -> None:
    conditions = [{"name": "only-web", "expression": "object.metadata.name.startsWith('web')"}]
    eng = engine([vap("p", NO_HOST_NETWORK, matchConditions=conditions)])
    env = environment([pod("web-1", hostNetwork=True), pod("db-1", hostNetwork=True)])
    assert outcome(eng, env, "p", "Pod/web-1") == "fail"
    assert outcome(eng, env, "p", "Pod/db-1") == "skip"


def test_message_expression_with_fallbacks() -> None:
    validations = [
        {
            "expression": "object.spec.containers.size() < 2",
            "messageExpression": "'too many containers: ' + string(object.spec.containers.size())",
        },
        {
            "expression": "object.metadata.name != 'x'",
            "messageExpression": "object.nope",
            "message": "static",
        },
        {"expression": "object.metadata.name != 'x'"},
    ]
    eng = engine([vap("p", validations)])
    two = [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]
    messages = sorted(f.message for f in eng.evaluate(environment([pod("x", containers=two)])))
    assert messages == [
        "failed expression: object.metadata.name != 'x'",
        "static",
        "too many containers: 2",
    ]


def test_failure_policy_fail_vs_ignore_on_runtime_error() -> None:
    broken = [{"expression": "object.spec.missing.field == 1", "message": "m"}]
    strict = engine([vap("strict", broken)])
    [finding] = strict.evaluate(environment([pod("a")]))
    assert finding.severity is Severity.ERROR and finding.message.startswith("policy error:")
    assert outcome(strict, environment([pod("a")]), "strict", "Pod/a") == "error"
    lenient = engine([vap("lenient", broken, failurePolicy="Ignore")])
    [finding] = lenient.evaluate(environment([pod("a")]))
    assert finding.severity is Severity.INFO and "ignored, failurePolicy Ignore" in finding.message
    assert outcome(lenient, environment([pod("a")]), "lenient", "Pod/a") == "pass"


def test_compile_error_in_policy_goes_through_failure_policy() -> None:
    eng = engine([vap("gated", [{"expression": "semver('1.0.0').major() == 1"}])])
    [finding] = eng.evaluate(environment([pod("a")], version="1.33"))
    assert "not available in Kubernetes 1.33" in finding.message
    assert eng.evaluate(environment([pod("a")], version="1.34")) == []
