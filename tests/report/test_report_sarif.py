"""SARIF output: valid against the OASIS 2.1.0 schema and within GitHub's documented limits."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from report_helpers import environment, latest_tag, privileged, sample_report, sops_file
from support import PROJECT_ROOT

from validator.model import Category, Finding, Severity
from validator.outcome import RuleDoc, ValidationReport
from validator.report import WRITERS
from validator.report.sarif_writer import sarif_document

# The OASIS schema is vendored beside this test; a checkout with the shared material beside it
# (../shared, as the CI runner has) is searched too.
SCHEMAS = (
    Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json",
    PROJECT_ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json",
)
SCHEMA = next((path for path in SCHEMAS if path.is_file()), SCHEMAS[-1])


@pytest.fixture(scope="module")
def sarif_validator() -> Any:
    if not SCHEMA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"SARIF schema missing at {SCHEMA}")
        pytest.skip(f"SARIF schema not found at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


def written(report: ValidationReport) -> dict[str, Any]:
    stream = io.StringIO()
    WRITERS["sarif"](report, stream, False)
    document: dict[str, Any] = json.loads(stream.getvalue())
    return document


def test_sarif_is_valid_against_the_schema(sarif_validator: Any) -> None:
    document = written(sample_report())
    errors = [f"{e.instance_path}: {e.message}" for e in sarif_validator.iter_errors(document)]
    assert errors == []
    assert document["version"] == "2.1.0"
    assert document["$schema"].startswith("https://")


def test_schema_validator_rejects_a_broken_document(sarif_validator: Any) -> None:
    document = written(sample_report())
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(document)


def test_one_rule_per_rule_id_with_descriptions_and_help() -> None:
    run = written(sample_report())["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert sorted(rules) == sorted({f.rule_id for f in sample_report().findings})
    for rule in rules.values():
        assert rule["shortDescription"]["text"]
        assert len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"]
    assert "Re-encrypt" in rules["sops-unencrypted-value"]["help"]["text"]  # tool-owned
    assert (
        "disallow-privileged-containers" in rules["disallow-privileged-containers"]["help"]["text"]
    )
    assert rules["secret-plaintext"]["properties"]["security-severity"] == "8.0"
    assert rules["disallow-latest-tag"]["defaultConfiguration"]["level"] == "warning"


def test_results_point_at_source_regions_with_stable_fingerprints() -> None:
    report = sample_report()
    run = written(report)["runs"][0]
    finding = report.findings[0]
    result = run["results"][0]
    assert result["ruleId"] == finding.rule_id
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == finding.rule_id
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "overlays/prod/patch-web.yaml"
    assert location["region"] == {"startLine": 14, "startColumn": 11}
    assert result["partialFingerprints"]["primaryLocationLineHash"] == finding.fingerprint
    assert result["message"]["text"].startswith("Privileged mode is disallowed.")
    assert "Deployment shop/web" in result["message"]["text"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["disallow-privileged-containers"] == "error"
    assert levels["disallow-latest-tag"] == "warning"


def test_info_is_a_note_and_a_finding_without_location_gets_a_file() -> None:
    env = environment("prod", ("Deployment", "web"))
    loose = Finding(
        rule_id="render-failed",
        category=Category.RENDER,
        severity=Severity.INFO,
        message="kustomize failed",
        environment="prod",
    )
    run = written(ValidationReport(environments=(env,), findings=(loose,)))["runs"][0]
    result = run["results"][0]
    assert result["level"] == "note"
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "overlays/prod/kustomization.yaml"


def test_too_many_results_keeps_the_most_severe_and_says_so(sarif_validator: Any) -> None:
    findings = (*tuple(latest_tag("prod", f"app{i}") for i in range(5)), privileged("prod"))
    report = ValidationReport(environments=(environment("prod"),), findings=findings)
    document = sarif_document(report, max_results=2)
    run = document["runs"][0]
    assert len(run["results"]) == 2
    assert run["results"][0]["ruleId"] == "disallow-privileged-containers"
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "4 less severe findings were left out" in note
    assert sarif_validator.is_valid(document)


def test_compressed_size_limit_halves_results_until_it_fits() -> None:
    findings = (*tuple(latest_tag("prod", f"app-{i:05d}") for i in range(400)), sops_file())
    report = ValidationReport(environments=(environment("prod"),), findings=findings)
    full = sarif_document(report)
    small = sarif_document(report, max_gzip_bytes=4_000)
    assert len(full["runs"][0]["results"]) == 401
    assert 0 < len(small["runs"][0]["results"]) < 401
    assert "invocations" in small["runs"][0]


def test_policy_rules_are_described_by_the_policy_with_help_uri_and_severity() -> None:
    doc = RuleDoc(
        title="Disallow privileged containers",
        description="Privileged containers share the host's kernel capabilities.",
        category="pod-security",
        help_uri="https://kubernetes.io/docs/concepts/security/pod-security-standards/",
    )
    report = dataclasses.replace(sample_report(), rule_docs={"disallow-privileged-containers": doc})
    rules = {r["id"]: r for r in written(report)["runs"][0]["tool"]["driver"]["rules"]}
    policy = rules["disallow-privileged-containers"]
    assert policy["shortDescription"]["text"] == doc.title
    assert policy["fullDescription"]["text"] == doc.description
    assert policy["helpUri"] == doc.help_uri
    assert policy["properties"]["security-severity"] == "8.0"
    assert "security" in policy["properties"]["tags"]
    # No policy's description is ever one finding's message.
    latest = rules["disallow-latest-tag"]
    assert "nginx:latest" not in latest["fullDescription"]["text"]
    assert latest["properties"]["security-severity"] == "5.0"
    assert rules["secret-plaintext"]["helpUri"].startswith("https://")


def test_a_defect_in_several_environments_is_one_result_naming_them() -> None:
    results = written(sample_report())["runs"][0]["results"]
    latest = [r for r in results if r["ruleId"] == "disallow-latest-tag"]
    shared = [r for r in latest if len(r["properties"].get("environments", [])) > 1]
    assert len(shared) == 1
    assert sorted(shared[0]["properties"]["environments"]) == ["dev", "prod"]
    assert "[environments: " in shared[0]["message"]["text"]
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(fingerprints)) == len(results)
