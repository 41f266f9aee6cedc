"""ValidatingAdmissionPolicy offline: params, transitions, CRDs, request context, paths, secrets."""

from __future__ import annotations

from typing import Any

from policy_helpers import binding, engine, environment, namespace, outcome, pod, vap

from validator.model import Severity

PARAM_KIND = {"apiVersion": "v1", "kind": "ConfigMap"}
MAX_CONTAINERS = [
    {"expression": "object.spec.containers.size() <= int(params.data.max)", "message": "too many"}
]


def _limits(name: str, namespace_: str, maximum: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace_, "labels": labels},
        "data": {"max": maximum},
    }


def test_params_by_name_in_the_request_namespace() -> None:
    ref = {"name": "limits", "parameterNotFoundAction": "Deny"}
    eng = engine(
        [vap("max", MAX_CONTAINERS, paramKind=PARAM_KIND), binding("b", "max", paramRef=ref)]
    )
    two = [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]
    env = environment(
        [
            _limits("limits", "shop", "1"),
            _limits("limits", "lab", "5"),
            pod("p1", "shop", containers=two),
            pod("p2", "lab", containers=two),
        ]
    )
    assert outcome(eng, env, "max", "Pod/p1") == "fail"
    assert outcome(eng, env, "max", "Pod/p2") == "pass"


def test_params_not_found_deny_is_an_error_and_allow_skips() -> None:
    deny = engine(
        [
            vap("max", MAX_CONTAINERS, paramKind=PARAM_KIND),
            binding("b", "max", paramRef={"name": "absent", "parameterNotFoundAction": "Deny"}),
        ]
    )
    env = environment([pod("p1")])
    [finding] = deny.evaluate(env)
    assert "no params found" in finding.message and finding.severity is Severity.ERROR
    allow = engine(
        [
            vap("max", MAX_CONTAINERS, paramKind=PARAM_KIND),
            binding("b", "max", paramRef={"name": "absent", "parameterNotFoundAction": "Allow"}),
        ]
    )
    assert allow.evaluate(env) == []
    assert outcome(allow, env, "max", "Pod/p1") == "skip"


def test_params_by_selector_are_anded() -> None:
    ref = {
        "namespace": "shop",
        "selector": {"matchLabels": {"kind": "limit"}},
        "parameterNotFoundAction": "Deny",
    }
    eng = engine(
        [vap("max", MAX_CONTAINERS, paramKind=PARAM_KIND), binding("b", "max", paramRef=ref)]
    )
    two = [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]
    env = environment(
        [
            _limits("loose", "shop", "5", kind="limit"),
            _limits("tight", "shop", "1", kind="limit"),
            _limits("other", "shop", "0"),
            pod("p1", "shop", containers=two),
        ]
    )
    findings = eng.evaluate(env)
    assert len(findings) == 1 and findings[0].message == "too many (binding b)"


def test_update_operation_sees_old_object() -> None:
    validations = [
        {
            "expression": (
                "oldObject == null || object.spec.replicas * 2 >= oldObject.spec.replicas"
            ),
            "message": "replicas may not drop below half",
        }
    ]
    rules = [
        {
            "apiGroups": ["apps"],
            "apiVersions": ["v1"],
            "operations": ["UPDATE"],
            "resources": ["deployments"],
        }
    ]
    eng = engine([vap("no-big-drop", validations, matchConstraints={"resourceRules": rules})])

    def deployment(replicas: int) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": replicas},
        }

    new = environment([deployment(2)])
    assert eng.evaluate(new) == []  # CREATE: the rule only matches UPDATE
    old = {r.ref.key: r for r in environment([deployment(10)]).resources}
    [finding] = eng.evaluate(new, old)
    assert finding.message == "replicas may not drop below half"


def test_custom_resources_match_by_plural_from_crds() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgetz"},
        },
    }
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {"size": 11},
    }
    rules = [
        {
            "apiGroups": ["example.com"],
            "apiVersions": ["*"],
            "operations": ["*"],
            "resources": ["widgetz"],
        }
    ]
    eng = engine(
        [
            vap(
                "small",
                [{"expression": "object.spec.size < 10"}],
                matchConstraints={"resourceRules": rules},
            )
        ]
    )
    assert outcome(eng, environment([crd, widget]), "small", "Widget/w") == "fail"
    assert outcome(eng, environment([widget]), "small", "Widget/w") == "skip"


def test_request_namespace_object_and_authorizer_variables() -> None:
    validations = [
        {"expression": "request.operation == 'CREATE' && request.resource.resource == 'pods'"},
        {"expression": "namespaceObject.metadata.labels.team == 'shop'"},
        {
            "expression": (
                "authorizer.group('').resource('secrets').namespace('shop').check('get').allowed()"
            )
        },
    ]
    eng = engine([vap("ctx", validations)])
    assert eng.evaluate(environment([namespace("shop", team="shop"), pod("a")])) == []
    from validator.policy.context import Offline

    denying = engine([vap("ctx", validations)], offline=Offline(authorizer_allows=False))
    [finding] = denying.evaluate(environment([namespace("shop", team="shop"), pod("a")]))
    assert "authorizer" in finding.message


def test_failing_container_is_located_in_pod_templates() -> None:
    validations = [
        {
            "expression": (
                "object.spec.template.spec.containers"
                ".all(c, !c.?securityContext.?privileged.orValue(false))"
            )
        }
    ]
    rules = [
        {
            "apiGroups": ["apps"],
            "apiVersions": ["v1"],
            "operations": ["*"],
            "resources": ["deployments"],
        }
    ]
    eng = engine([vap("no-priv", validations, matchConstraints={"resourceRules": rules})])
    containers = [
        {"name": "ok", "image": "a:1"},
        {"name": "bad", "image": "b:1", "securityContext": {"privileged": True}},
    ]
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": containers}}},
    }
    [finding] = eng.evaluate(environment([body]))
    assert finding.path == "/spec/template/spec/containers/1/securityContext/privileged"


def test_secret_values_never_reach_messages() -> None:
    canary = "canary-s3cr3t-value-8412"
    validations = [
        {"expression": "false", "messageExpression": "'bad secret: ' + object.stringData.password"}
    ]
    rules = [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["*"], "resources": ["secrets"]}
    ]
    eng = engine([vap("leaky", validations, matchConstraints={"resourceRules": rules})])
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "stringData": {"password": canary},
    }
    [finding] = eng.evaluate(environment([secret]))
    assert canary not in finding.message and canary not in str(finding.to_json())
