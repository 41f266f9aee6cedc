"""Every format from one real `validate` run of a failing repository."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path

import jsonschema_rs
from support import RunCli, deployment

PRIVILEGED = deployment("web").replace(
    "          image: nginx:1.27\n",
    "          image: nginx:1.27\n          securityContext:\n            privileged: true\n",
)
CANARY = "CANARY-report-formats-3c9e"


def failing_repo(make_repo: Callable[[Mapping[str, str | bytes]], Path]) -> Path:
    return make_repo(
        {
            "overlays/base/kustomization.yaml": (
                "resources:\n  - deployment.yaml\n  - secret.yaml\n"
            ),
            "overlays/base/deployment.yaml": PRIVILEGED,
            "overlays/base/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
                f"stringData:\n  password: {CANARY}\n"
            ),
            "overlays/prod/kustomization.yaml": "namespace: shop\nresources:\n  - ../base\n",
            "gitops-validator.yaml": "environments:\n  prod: {path: overlays/prod}\n",
        }
    )


def test_all_formats_in_one_run(
    run_cli: RunCli, make_repo: Callable[[Mapping[str, str | bytes]], Path], tmp_path: Path
) -> None:
    repo = failing_repo(make_repo)
    out = tmp_path / "out"
    summary = tmp_path / "step-summary.md"
    result = run_cli(
        "--repo",
        str(repo),
        "validate",
        "--format",
        "github",
        "--format",
        f"sarif={out / 'report.sarif'}",
        "--format",
        f"junit={out / 'junit.xml'}",
        "--format",
        f"markdown={out / 'comment.md'}",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.code == 1, result.stderr
    annotations = result.stdout.splitlines()
    privileged = next(a for a in annotations if "disallow-privileged-containers" in a)
    line = PRIVILEGED.splitlines().index("            privileged: true") + 1
    assert privileged.startswith(f"::error file=overlays/base/deployment.yaml,line={line},")

    sarif = json.loads((out / "report.sarif").read_text())
    schema = json.loads(
        (Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json").read_text()
    )
    assert jsonschema_rs.Draft4Validator(schema).is_valid(sarif)
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"disallow-privileged-containers", "secret-plaintext"} <= rules

    junit = ET.parse(out / "junit.xml").getroot()
    assert [s.get("name") for s in junit.iter("testsuite")] == ["prod", "repository"]
    assert int(junit.get("failures", "0")) >= 2

    comment = (out / "comment.md").read_text()
    assert comment.startswith("<!-- gitops-validator -->")
    assert "| prod |" in comment
    assert "| prod |" in summary.read_text()
    for text in (result.stdout, result.stderr, comment, summary.read_text()):
        assert CANARY not in text
    for produced in out.iterdir():
        assert CANARY not in produced.read_text()
