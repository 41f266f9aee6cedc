"""Custom resources against CRDs from the rendered output and from schema.crdPaths,
including their x-kubernetes-validations CEL rules evaluated with cel-expr-python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schema_support import settings, summary, validate

from validator.model import Resource, ResourceRef, SourceLocation


def widget_crd(
    scope: str = "Namespaced", extra_rules: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    spec_schema: dict[str, Any] = {
        "type": "object",
        "required": ["replicas"],
        "x-kubernetes-validations": [
            {
                "rule": "self.replicas <= self.maxReplicas",
                "message": "replicas must not exceed maxReplicas",
            },
            {"rule": "self.replicas >= 0", "message": "replicas must not be negative"},
            *(extra_rules or []),
        ],
        "properties": {
            "replicas": {"type": "integer"},
            "maxReplicas": {"type": "integer"},
            "mode": {"type": "string", "enum": ["fast", "safe"]},
            "port": {"x-kubernetes-int-or-string": True},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "template": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "number": {"type": "integer"}},
                    "x-kubernetes-validations": [
                        {
                            "rule": "self.number > 1024",
                            "messageExpression": (
                                "'port ' + self.name + ' must be above 1024, not ' "
                                "+ string(self.number)"
                            ),
                            "fieldPath": ".number",
                        },
                        {
                            "rule": "self.number == oldSelf.number",
                            "message": "port numbers are immutable",
                        },
                    ],
                },
            },
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": scope,
            "names": {
                "kind": "Widget",
                "plural": "widgets",
                "singular": "widget",
                "listKind": "WidgetList",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {"spec": spec_schema}}
                    },
                },
                {
                    "name": "v1alpha1",
                    "served": False,
                    "storage": False,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                },
            ],
        },
    }


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "shop"},
        "spec": {"replicas": 1, "maxReplicas": 3} | spec,
    }


def test_valid_custom_resource_passes_schema_and_rules() -> None:
    body = widget(
        port="http",
        extra={"anything": [1, 2]},
        mode="safe",
        template={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
        ports=[{"name": "web", "number": 8080}],
    )
    assert validate(widget_crd(), body) == []


def test_failing_cel_rule_is_reported_and_passing_rule_is_not() -> None:
    findings = validate(widget_crd(), widget(replicas=5))
    assert summary(findings) == [
        ("error", "schema-invalid", "/spec", "spec: replicas must not exceed maxReplicas")
    ]
    assert findings[0].resource == ResourceRef("example.com/v1", "Widget", "shop", "w1")


def test_message_expression_and_field_path_on_list_items() -> None:
    findings = validate(
        widget_crd(), widget(ports=[{"name": "web", "number": 8080}, {"name": "dns", "number": 53}])
    )
    assert summary(findings) == [
        (
            "error",
            "schema-invalid",
            "/spec/ports/1/number",
            "spec.ports[1].number: port dns must be above 1024, not 53",
        )
    ]


def test_structural_schema_is_strict_like_the_api_server() -> None:
    body = widget(bogus=1, mode="slow", port=1.5)
    body["metadata"]["lables"] = {"a": "b"}
    messages = {(f.path, f.message) for f in validate(widget_crd(), body)}
    assert messages == {
        ("/spec/bogus", "spec: unknown field 'bogus'"),
        ("/spec/mode", "spec.mode: 'slow' is not one of 'fast', 'safe'"),
        ("/spec/port", "spec.port: 1.5 is not an integer or a string"),
        ("/metadata/lables", "metadata: unknown field 'lables'"),
    }


def test_missing_required_custom_field() -> None:
    body = widget()
    del body["spec"]["replicas"]
    findings = summary(validate(widget_crd(), body))
    assert (
        "error",
        "schema-invalid",
        "/spec",
        "spec: missing required field 'replicas'",
    ) in findings


def test_transition_rules_run_only_with_an_old_object() -> None:
    crd = widget_crd()
    new = widget(ports=[{"name": "web", "number": 8080}])
    assert validate(crd, new) == []
    old_body = widget(ports=[{"name": "web", "number": 9090}])
    old = {"Widget/shop/w1": Resource(ResourceRef.of(old_body), old_body, "dev")}
    assert summary(validate(crd, new, old=old)) == [
        ("error", "schema-invalid", "/spec/ports/0", "spec.ports[0]: port numbers are immutable")
    ]


def test_rule_that_does_not_compile_is_a_finding_on_the_crd_not_a_crash() -> None:
    crd = widget_crd(extra_rules=[{"rule": "self.replicas <"}, {"rule": "self.replicas < 10"}])
    findings = validate(crd, widget(replicas=50, maxReplicas=100))
    assert [(f.severity.value, f.resource and f.resource.kind, f.path) for f in findings] == [
        (
            "warning",
            "CustomResourceDefinition",
            "/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations/2/rule",
        ),
        ("error", "Widget", "/spec"),
    ]
    assert "does not compile" in findings[0].message
    assert findings[1].message == "spec: failed rule: self.replicas < 10"


def test_version_not_served_by_the_crd() -> None:
    body = widget()
    body["apiVersion"] = "example.com/v1alpha1"
    assert summary(validate(widget_crd(), body)) == [
        (
            "error",
            "schema-invalid",
            "/apiVersion",
            "example.com/v1alpha1 Widget is not served by its CustomResourceDefinition "
            "(served versions: v1)",
        )
    ]


def test_cluster_scoped_crd_needs_no_namespace_and_namespaced_one_does() -> None:
    body = widget()
    del body["metadata"]["namespace"]
    assert validate(widget_crd(scope="Cluster"), body) == []
    (finding,) = validate(widget_crd(scope="Namespaced"), body)
    assert finding.severity.value == "warning"
    assert "namespaced but has no metadata.namespace" in finding.message


def test_crd_from_crd_paths_file(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "widgets.yaml").write_text(
        "# installed by the operator chart\n" + json.dumps(widget_crd())
    )
    (crds / "notes.yaml").write_text("kind: ConfigMap\napiVersion: v1\n")
    config = settings(repo_root=tmp_path, crd_paths=("crds",))
    assert summary(validate(widget(replicas=9), config=config)) == [
        ("error", "schema-invalid", "/spec", "spec: replicas must not exceed maxReplicas")
    ]


def test_broken_crd_file_and_missing_path_are_findings(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("spec: [unclosed\n")
    config = settings(repo_root=tmp_path, crd_paths=("bad.yaml", "nowhere"))
    findings = validate(widget(), config=config)
    locations = [f.location for f in findings if f.location]
    assert locations == [SourceLocation("bad.yaml"), SourceLocation("nowhere")]
    assert "cannot read CRD file" in findings[0].message
    assert findings[1].message == "schema.crdPaths entry does not exist"
    assert findings[2].rule_id == "schema-unknown-kind"


def test_crd_rule_compile_problem_from_a_file_carries_its_location(tmp_path: Path) -> None:
    (tmp_path / "w.json").write_text(
        json.dumps(widget_crd(extra_rules=[{"rule": "quantity('1') > 0"}]))
    )
    config = settings(repo_root=tmp_path, crd_paths=("w.json",))
    (finding,) = validate(widget(), config=config)
    assert finding.location == SourceLocation("w.json")
    assert finding.resource is None
    assert "undeclared reference to 'quantity'" in finding.message


def test_crd_schema_that_does_not_compile_is_reported_once_not_raised() -> None:
    crd = widget_crd()
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["mode"]["pattern"] = "(unclosed"
    findings = validate(crd, widget())
    assert [(f.severity.value, f.resource and f.resource.kind) for f in findings] == [
        ("warning", "CustomResourceDefinition"),
        ("warning", "Widget"),
    ]
    assert "the schema of Widget v1 is invalid" in findings[0].message
    assert findings[1].message.startswith("not validated: ")
