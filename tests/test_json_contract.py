"""`validate --format json` is the §3.2 document, and every finding has a source location."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema_rs
from support import RunCli, three_environments


def _schema_validator():
    text = resources.files("validator.report").joinpath("findings-schema.json").read_text()
    return jsonschema_rs.validator_for(json.loads(text))


def test_demo_repository_validates_cleanly_against_the_contract(demo_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", "--format", "json", cwd=demo_repo)
    assert result.code == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    _schema_validator().validate(document)
    assert document["summary"]["passed"] is True
    assert document["summary"]["environments"] == 4
    names = [env["name"] for env in document["environments"]]
    assert names == ["dev", "staging", "prod", "status-prod"]
    assert {env["name"]: env["kubernetesVersion"] for env in document["environments"]}[
        "prod"
    ] == "1.32"
    assert document["summary"]["resources"] == sum(e["resources"] for e in document["environments"])


def test_findings_have_repository_relative_locations(make_repo, run_cli: RunCli) -> None:
    files = three_environments(broken="prod")
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - bad.yaml\n"
    files["overlays/base/bad.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, name: y}\n"
    )
    result = run_cli("validate", "--format", "json", cwd=make_repo(files))
    assert result.code == 1
    document = json.loads(result.stdout)
    _schema_validator().validate(document)
    assert document["summary"]["passed"] is False
    assert document["findings"]
    for finding in document["findings"]:
        location = finding["location"]
        assert location["file"] and not location["file"].startswith("/")
        assert location["line"] >= 1
    rules = sorted(f["ruleId"] for f in document["findings"])
    assert "yaml-duplicate-key" in rules
    fingerprints = {f["fingerprint"] for f in document["findings"]}
    assert len(fingerprints) == len(document["findings"])


def test_fingerprint_is_stable_when_lines_move(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - bad.yaml\n"
    files["overlays/base/bad.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 1, a: 2}\n"
    )
    repo = make_repo(files)
    before = json.loads(run_cli("validate", "--format", "json", cwd=repo).stdout)["findings"]
    (repo / "overlays/base/bad.yaml").write_text("# moved down\n" + files["overlays/base/bad.yaml"])
    after = json.loads(run_cli("validate", "--format", "json", cwd=repo).stdout)["findings"]
    assert before[0]["location"]["line"] + 1 == after[0]["location"]["line"]
    assert before[0]["fingerprint"] == after[0]["fingerprint"]


def test_several_formats_in_one_run(demo_repo, run_cli: RunCli, tmp_path) -> None:
    out = tmp_path / "report.json"
    result = run_cli("validate", "--format", "text", "--format", f"json={out}", cwd=demo_repo)
    assert result.code == 0, result.stderr
    assert "passed" in result.stdout
    _schema_validator().validate(json.loads(out.read_text()))
