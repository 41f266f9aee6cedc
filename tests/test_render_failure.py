"""render-failed findings: stable text (no temporary paths, Go escapes, pointers or Python
warnings) at the file and line the error names, with the same fingerprint on every run."""

from __future__ import annotations

import json
from pathlib import Path

from support import RunCli, three_environments

from validator.render.failure import clean_message, is_tool_warning, locate_failure


def _render_failures(run_cli: RunCli, repo: Path) -> list[dict[str, object]]:
    result = run_cli("validate", "--no-cache", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["ruleId"] == "render-failed"]


def test_a_missing_resource_points_at_its_kustomization_entry(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments(broken="prod"))
    first = _render_failures(run_cli, repo)
    second = _render_failures(run_cli, repo)
    assert len(first) == 1
    assert first[0]["location"] == {
        "file": "overlays/prod/kustomization.yaml",
        "line": 4,
        "column": 1,
    }
    assert "missing.yaml" in str(first[0]["message"])
    assert first[0]["fingerprint"] == second[0]["fingerprint"]
    assert first[0]["message"] == second[0]["message"]
    for text in ("/tmp", "gitops-validator-", '\\"', "0xc"):
        assert text not in str(first[0]["message"])


def test_a_duplicate_generator_error_is_clean_and_stable(make_repo, run_cli: RunCli) -> None:
    generators = "  - name: app\n    literals: [a=b]\n"
    repo = make_repo(
        {
            "apps/prod/kustomization.yaml": f"secretGenerator:\n{generators}{generators}",
            "gitops-validator.yaml": "environments:\n  prod: {path: apps/prod}\n",
        }
    )
    first, second = _render_failures(run_cli, repo), _render_failures(run_cli, repo)
    message = str(first[0]["message"])
    assert '\\"' not in message and "0xc" not in message and "&{" not in message
    assert message.startswith("cannot render environment 'prod': merging from generator")
    assert first[0]["fingerprint"] == second[0]["fingerprint"]


def test_helm_template_errors_point_at_the_template_line(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(
        {
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "charts/web/templates/cm.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
                "data:\n  a: {{ .Values.a | nosuchfunction }}\n"
            ),
            "gitops-validator.yaml": (
                "environments:\n  web: {helm: {chart: charts/web, namespace: web}}\n"
            ),
        }
    )
    [failure] = _render_failures(run_cli, repo)
    assert failure["location"] == {"file": "charts/web/templates/cm.yaml", "line": 6, "column": 1}


def test_messages_lose_go_escapes_pointers_temporary_paths_and_warnings(tmp_path: Path) -> None:
    raw = (
        'merging from generator &{0xc0001b00e0 0xc000356000}: Name:\\"app\\" in '
        "/tmp/gitops-validator-a1b2c3d4/wrapper/x.yaml"
    )
    assert clean_message(raw) == 'merging from generator: Name:"app" in <temp>/wrapper/x.yaml'
    assert is_tool_warning("<frozen runpy>:128: RuntimeWarning: 'x' found in sys.modules")
    assert not is_tool_warning("Error: accumulating resources")
    (tmp_path / "base").mkdir()
    (tmp_path / "base/kustomization.yaml").write_text("resources:\n  - a.yaml\n  - 'gone.yaml'\n")
    located = locate_failure("evalsymlink failure on 'base/gone.yaml'", tmp_path)
    assert located is not None and (located.file, located.line) == ("base/kustomization.yaml", 3)
    assert locate_failure("something else entirely", tmp_path) is None
