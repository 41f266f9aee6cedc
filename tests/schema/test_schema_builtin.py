"""Built-in kinds against the strict schemas bundled in kubernetes-validate."""

from __future__ import annotations

import datetime
import types

import pytest
from schema_support import deployment, settings, summary, validate

from validator.model import Category, RenderedEnvironment, Resource, ResourceRef, Severity
from validator.schema import SchemaCatalogError, resolve_version, validate_environment
from validator.schema.catalog import bundled_versions


def test_valid_deployment_has_no_findings() -> None:
    assert validate(deployment()) == []


def test_wrong_type_is_reported_with_its_path() -> None:
    findings = validate(deployment(replicas="two"))
    assert summary(findings) == [
        ("error", "schema-invalid", "/spec/replicas", "spec.replicas: 'two' is not an integer")
    ]
    assert findings[0].category is Category.SCHEMA
    assert findings[0].resource == ResourceRef("apps/v1", "Deployment", "shop", "web")
    assert findings[0].location is None  # the pipeline maps resource + path to file:line


def test_unknown_field_is_rejected_in_strict_mode() -> None:
    body = deployment()
    body["spec"]["template"]["spec"]["containers"][0]["imagex"] = "nginx"
    assert summary(validate(body)) == [
        (
            "error",
            "schema-invalid",
            "/spec/template/spec/containers/0/imagex",
            "spec.template.spec.containers[0]: unknown field 'imagex'",
        )
    ]


def test_missing_required_field_points_at_its_parent() -> None:
    body = deployment()
    del body["spec"]["selector"]
    messages = summary(validate(body))
    assert (
        "error",
        "schema-invalid",
        "/spec",
        "spec: missing required field 'selector'",
    ) in messages


def test_int_or_string_message_names_both_types() -> None:
    body = deployment(strategy={"rollingUpdate": {"maxSurge": True}})
    assert summary(validate(body)) == [
        (
            "error",
            "schema-invalid",
            "/spec/strategy/rollingUpdate/maxSurge",
            "spec.strategy.rollingUpdate.maxSurge: true is not an integer or a string",
        ),
    ]


def test_null_int_or_string_is_accepted_like_the_api_server() -> None:
    assert validate(deployment(strategy={"rollingUpdate": {"maxSurge": None}})) == []


def test_label_keys_with_slashes_get_escaped_pointers() -> None:
    body = deployment()
    body["metadata"]["labels"]["app.kubernetes.io/name"] = 7
    (finding,) = validate(body)
    assert finding.path == "/metadata/labels/app.kubernetes.io~1name"
    assert finding.message == 'metadata.labels["app.kubernetes.io/name"]: 7 is not a string'


def test_secret_values_never_appear_in_messages() -> None:
    canary = 4242424242
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "stringData": {"password": canary},
    }
    env_value = deployment()
    env_value["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "TOKEN", "value": canary}
    ]
    findings = validate(secret, env_value)
    assert len(findings) == 2
    for finding in findings:
        assert str(canary) not in finding.message
        assert "the value (an integer) is not a string" in finding.message


def test_sops_metadata_block_is_not_an_unknown_field() -> None:
    encrypted = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "data": {"password": "ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]"},
        "sops": {"age": [{"recipient": "age1xyz", "enc": "..."}], "version": "3.11.0"},
    }
    assert validate(encrypted) == []


def test_non_dict_mappings_and_yaml_dates_are_validated() -> None:
    body = deployment()
    body["metadata"]["annotations"] = {"built": datetime.date(2026, 1, 2)}
    body["spec"]["replicas"] = "x"
    frozen = types.MappingProxyType(body)
    resource = Resource(ResourceRef.of(frozen), frozen, "dev")
    env = RenderedEnvironment("dev", "1.33", (resource,))
    assert [f.path for f in validate_environment(env, settings())] == ["/spec/replicas"]


def test_schema_errors_per_object_are_capped() -> None:
    body = deployment()
    body["spec"]["template"]["spec"]["containers"] = [
        {"name": f"c{i}", "image": "x", "ports": "many"} for i in range(40)
    ]
    findings = validate(body)
    assert len(findings) == 26
    assert findings[-1].message == "more schema errors not shown"


@pytest.mark.parametrize(
    ("requested", "chosen"),
    [
        ("1.33", "1.33"),
        ("v1.33.4", "1.33"),
        ("1.20", "1.25"),
        ("1.99", "1.37"),
        ("1.30.0-eks", "1.30"),
    ],
)
def test_nearest_bundled_version_is_used(requested: str, chosen: str) -> None:
    assert resolve_version(requested) == chosen


def test_bundled_versions_cover_the_documented_range() -> None:
    assert bundled_versions()[0] == (1, 25)
    assert (1, 37) in bundled_versions()


def test_unparseable_version_is_a_clear_error() -> None:
    with pytest.raises(SchemaCatalogError, match="'latest' is not a Kubernetes version"):
        resolve_version("latest")


def test_missing_kind_is_reported() -> None:
    (finding,) = validate({"apiVersion": "v1", "metadata": {"name": "x", "namespace": "a"}})
    assert finding.message == "missing required field 'kind'"
    assert finding.severity is Severity.ERROR
