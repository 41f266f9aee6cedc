"""Rules the API server enforces beyond the JSON schema: names, labels, duplicates, namespaces,
selectors, deprecated and removed apiVersions, unknown kinds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from schema_support import deployment, environment, settings, summary, validate

from validator.model import EnvironmentSpec, HelmSpec
from validator.schema import SchemaValidator


def config_map(name: str = "cfg", namespace: str | None = "shop") -> dict[str, object]:
    metadata: dict[str, object] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"a": "b"}}


def test_duplicate_object_in_one_environment() -> None:
    findings = validate(config_map(), config_map(), config_map(namespace="other"))
    assert summary(findings) == [
        (
            "error",
            "schema-invalid",
            "/metadata/name",
            "duplicate object: ConfigMap shop/cfg is defined more than once",
        )
    ]


def test_same_name_in_another_api_group_is_not_a_duplicate() -> None:
    other = {
        "apiVersion": "example.com/v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "shop"},
    }
    config = settings(ignore_groups=("example.com",))
    assert validate(config_map(), other, config=config) == []


def test_label_value_longer_than_63_characters() -> None:
    body = config_map()
    body["metadata"] = {"name": "cfg", "namespace": "shop", "labels": {"tier": "x" * 64}}
    assert summary(validate(body)) == [
        (
            "error",
            "schema-invalid",
            "/metadata/labels/tier",
            "metadata.labels.tier: label value must be no more than 63 characters",
        )
    ]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("-bad", "name part must consist of alphanumeric characters"),
        ("Example.com/app", "prefix part must be a DNS-1123 subdomain"),
        ("a/b/c", "prefix part must be a DNS-1123 subdomain"),
        ("/app", "prefix part must be non-empty"),
        ("x" * 64, "name part must be no more than 63 characters"),
    ],
)
def test_label_key_syntax(key: str, problem: str) -> None:
    body = config_map()
    body["metadata"] = {"name": "cfg", "namespace": "shop", "labels": {key: "ok"}}
    (finding,) = validate(body)
    assert problem in finding.message


@pytest.mark.parametrize(
    ("kind", "api_version", "name", "valid"),
    [
        ("ConfigMap", "v1", "my.config-1", True),
        ("ConfigMap", "v1", "My_Config", False),
        ("Service", "v1", "1web", False),  # DNS-1035: must start with a letter
        ("Service", "v1", "web.v1", False),
        ("Namespace", "v1", "team.a", False),  # DNS-1123 label, no dots
        ("ClusterRole", "rbac.authorization.k8s.io/v1", "system:aggregate-to-view", True),
        ("ClusterRole", "rbac.authorization.k8s.io/v1", "a/b", False),
        ("CronJob", "batch/v1", "n" * 53, False),
    ],
)
def test_object_names_follow_the_api_servers_rule_per_kind(
    kind: str, api_version: str, name: str, valid: bool
) -> None:
    namespaced = kind not in ("Namespace", "ClusterRole")
    metadata = {"name": name, "namespace": "shop"} if namespaced else {"name": name}
    body = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    name_findings = [f for f in validate(body) if f.path == "/metadata/name"]
    assert (name_findings == []) is valid


def test_removed_api_version_is_an_error_for_the_environment_version() -> None:
    pdb = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"minAvailable": 1},
    }
    assert summary(validate(pdb, version="1.33")) == [
        (
            "error",
            "schema-invalid",
            "/apiVersion",
            "policy/v1beta1 PodDisruptionBudget is not served by Kubernetes 1.33: "
            "deprecated in v1.21, removed in v1.25; use policy/v1",
        )
    ]


def test_deprecated_but_served_api_version_is_a_warning() -> None:
    flow = {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "kind": "FlowSchema",
        "metadata": {"name": "fs"},
        "spec": {"priorityLevelConfiguration": {"name": "global-default"}},
    }
    assert summary(validate(flow, version="1.30")) == [
        (
            "warning",
            "schema-deprecated-api",
            "/apiVersion",
            "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated since v1.29 and will "
            "be removed in v1.32; use flowcontrol.apiserver.k8s.io/v1",
        )
    ]
    assert [f.severity.value for f in validate(flow, version="1.32")] == ["error"]
    assert validate(flow, version="1.28") == []


def test_selector_not_matching_template_labels() -> None:
    body = deployment(selector={"matchLabels": {"app": "api"}})
    assert summary(validate(body)) == [
        (
            "error",
            "schema-invalid",
            "/spec/template/metadata/labels",
            "spec.template.metadata.labels: the selector (spec.selector) does not match the "
            "template labels",
        )
    ]


@pytest.mark.parametrize(
    ("expression", "matches"),
    [
        ({"key": "app", "operator": "In", "values": ["web", "api"]}, True),
        ({"key": "app", "operator": "NotIn", "values": ["web"]}, False),
        ({"key": "tier", "operator": "DoesNotExist"}, True),
        ({"key": "tier", "operator": "Exists"}, False),
    ],
)
def test_selector_match_expressions(expression: dict[str, object], matches: bool) -> None:
    body = deployment(selector={"matchExpressions": [expression]})
    assert (validate(body) == []) is matches


def test_unknown_kind_warns_unless_its_group_is_ignored() -> None:
    widget = {
        "apiVersion": "widgets.example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "shop"},
    }
    (finding,) = validate(widget)
    assert (finding.severity.value, finding.rule_id, finding.path) == (
        "warning",
        "schema-unknown-kind",
        "/kind",
    )
    assert validate(widget, config=settings(ignore_groups=("widgets.example.com",))) == []
    assert validate(widget, config=settings(ignore_groups=("*.example.com",))) == []


def test_unknown_version_of_a_builtin_group_is_an_error() -> None:
    body = deployment()
    body["apiVersion"] = "apps/v2"
    (finding,) = validate(body)
    assert (finding.severity.value, finding.message) == (
        "error",
        "apps/v2 Deployment is not served by Kubernetes 1.33",
    )


def test_namespaced_kind_without_namespace_warns_cluster_scoped_does_not() -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    findings = validate(namespace, config_map(namespace=None))
    assert summary(findings) == [
        (
            "warning",
            "schema-invalid",
            "/metadata",
            "ConfigMap is namespaced but has no metadata.namespace after rendering; it would land "
            "in whatever namespace the applying client defaults to",
        )
    ]


def test_shared_validator_is_safe_across_threads() -> None:
    shared = SchemaValidator()
    bad = deployment(replicas="two")
    envs = [environment(deployment(f"web-{i}"), bad, name=f"env{i}") for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda env: shared.validate(env, settings()), envs))
    assert [len(r) for r in results] == [1] * 8
    assert {r[0].environment for r in results} == {f"env{i}" for i in range(8)}


def test_helm_release_namespace_counts_as_the_environments_namespace() -> None:
    helm_env = EnvironmentSpec(
        name="dev",
        kubernetes_version="1.33",
        helm=HelmSpec(chart="charts/shop", namespace="shop"),
    )
    config = replace(settings(), environments=(helm_env,))
    assert validate(config_map(namespace=None), config=config) == []
