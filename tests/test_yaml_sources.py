"""Problems in source files become findings with file and line, never crashes."""

from __future__ import annotations

import json

import pytest
from support import RunCli, deployment, three_environments


def _findings(run_cli: RunCli, repo) -> list[dict]:
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["category"] == "yaml"]


def _with_extra_resource(content: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = dict(three_environments())
    files["overlays/base/extra.yaml"] = content
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - extra.yaml\n"
    return files


def test_malformed_yaml_is_reported_at_its_line(make_repo, run_cli) -> None:
    content = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [unclosed\n"
    [finding] = _findings(run_cli, make_repo(_with_extra_resource(content)))
    assert finding["ruleId"] == "yaml-invalid"
    assert finding["location"]["file"] == "overlays/base/extra.yaml"
    assert finding["location"]["line"] == 5
    assert finding["environment"] is None


def test_duplicate_key_is_reported_at_the_second_key(make_repo, run_cli) -> None:
    content = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: '1'\n  a: '2'\n"
    findings = _findings(run_cli, make_repo(_with_extra_resource(content)))
    [duplicate] = [f for f in findings if f["ruleId"] == "yaml-duplicate-key"]
    assert duplicate["location"]["line"] == 7
    assert "duplicate mapping key: 'a'" in duplicate["message"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{n}: &{n} [{','.join(['*' + p] * 10)}]\n"
                for p, n in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "alias bomb",
        ),
        (b"apiVersion: v1\nkind: ConfigMap\ndata: {a: '\xff\xfe'}\n", "not valid UTF-8"),
        ("# padding\n" * 900_000, "larger than 8 MiB"),
    ],
    ids=["alias-bomb", "non-utf8", "huge"],
)
def test_hostile_files_are_refused_with_a_finding(make_repo, run_cli, content, expected) -> None:
    findings = _findings(run_cli, make_repo(_with_extra_resource(content)))
    refused = [f for f in findings if f["location"]["file"] == "overlays/base/extra.yaml"]
    assert refused, findings
    assert expected in refused[0]["message"]


def test_clean_sources_have_no_yaml_findings(make_repo, run_cli) -> None:
    files = three_environments()
    files["overlays/base/deployment.yaml"] = deployment("web")
    result = run_cli("validate", "--format", "json", cwd=make_repo(files))
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []
