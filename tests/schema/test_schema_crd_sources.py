"""CRDs come from everywhere a cluster could get them: every rendered environment and every
CRD committed in the repository (a chart's crds/ directory), not only the environment's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml
from schema_support import environment, settings, summary

from validator.model import EnvironmentSpec
from validator.schema import SchemaValidator

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                        },
                    }
                },
            }
        ],
    },
}


def widget(size: object, namespace: str | None = "shop") -> dict[str, object]:
    metadata = {"name": "w", **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": metadata,
        "spec": {"size": size},
    }


def test_a_crd_committed_in_a_chart_crds_directory_serves_its_kind(tmp_path: Path) -> None:
    crds = tmp_path / "charts" / "widgets" / "crds"
    crds.mkdir(parents=True)
    (crds / "widgets.yaml").write_text(yaml.safe_dump(CRD))
    # A Helm template in the same repository does not parse as YAML; it is not an error here.
    (tmp_path / "charts" / "widgets" / "templates").mkdir()
    (tmp_path / "charts/widgets/templates/crd.yaml").write_text(
        "kind: CustomResourceDefinition\n{{- if .Values.x }}\n"
    )
    found = SchemaValidator().validate(environment(widget("big")), settings(tmp_path))
    assert [(f.rule_id, f.path) for f in found] == [("schema-invalid", "/spec/size")]


def test_a_crd_rendered_in_one_environment_serves_the_others(tmp_path: Path) -> None:
    validator = SchemaValidator()
    platform = environment(CRD, name="platform")
    apps = environment(
        widget(3), widget("big") | {"metadata": {"name": "x", "namespace": "a"}}, name="apps"
    )
    validator.share([platform, apps])
    found = validator.validate(apps, settings(tmp_path))
    assert [(f.rule_id, f.path) for f in found] == [("schema-invalid", "/spec/size")]
    # Without sharing, the kind is unknown.
    alone = SchemaValidator().validate(apps, settings(tmp_path))
    assert {f.rule_id for f in alone} == {"schema-unknown-kind"}


def test_namespace_warning_only_when_nothing_supplies_one(tmp_path: Path) -> None:
    validator = SchemaValidator()
    validator.share([environment(CRD)])
    homeless = environment(widget(1, namespace=None))
    warned = validator.validate(homeless, settings(tmp_path))
    assert [m for _, _, _, m in summary(warned)] == [
        "Widget is namespaced but has no metadata.namespace after rendering; it would land in "
        "whatever namespace the applying client defaults to"
    ]
    configured = dataclasses.replace(
        settings(tmp_path),
        environments=(EnvironmentSpec("dev", "1.33", path="x", namespace="shop"),),
    )
    assert validator.validate(homeless, configured) == []
