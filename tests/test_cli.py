"""Commands, exit codes and output conventions of the CLI."""

from __future__ import annotations

import json

import pytest
from support import RunCli, three_environments

from validator import pipeline
from validator.cli.main import main


def test_envs_lists_environments_for_a_ci_matrix(demo_repo, run_cli: RunCli) -> None:
    result = run_cli("envs", "--json", cwd=demo_repo)
    assert result.code == 0
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == ["dev", "staging", "prod", "status-prod"]
    assert rows[2]["policyProfile"] == "restricted"
    assert rows[3]["helmChart"] == "overlays/charts/status-page"
    text = run_cli("envs", cwd=demo_repo)
    assert "status-prod  helm chart overlays/charts/status-page" in text.stdout


def test_doctor_reports_tools_and_config(demo_repo, run_cli: RunCli) -> None:
    result = run_cli("doctor", cwd=demo_repo)
    assert result.code == 0, result.stdout
    for name in ("kustomize", "helm", "sops", "config", "cache"):
        assert f"ok   {name}" in result.stdout


def test_doctor_with_invalid_config_exits_3(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = "environmnets: {}\n"
    result = run_cli("doctor", cwd=make_repo(files))
    assert result.code == 3
    assert "unknown key 'environmnets'" in result.stdout


def test_doctor_without_kubectl_exits_4(make_repo, run_cli: RunCli, tmp_path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    no_tools = {"PATH": str(empty), "GITOPS_VALIDATOR_TOOLS_DIR": str(empty)}
    result = run_cli("doctor", cwd=make_repo(three_environments()), env=no_tools)
    assert result.code == 4
    assert "BAD  kustomize" in result.stdout


def test_unknown_environment_is_a_usage_error(demo_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", "--env", "qa", cwd=demo_repo)
    assert result.code == 2
    assert "unknown environment 'qa'; known: dev, prod, staging, status-prod" in result.stderr


def test_unknown_format_is_a_usage_error(demo_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", "--format", "yaml", cwd=demo_repo)
    assert result.code == 2
    assert "unknown format 'yaml'" in result.stderr


def test_two_formats_on_stdout_is_a_usage_error(demo_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", "--format", "text", "--format", "json", cwd=demo_repo)
    assert result.code == 2


def test_nothing_to_validate_exits_5(make_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", cwd=make_repo({"README.md": "empty\n"}))
    assert result.code == 5
    assert "no environments to validate" in result.stderr


def test_fail_on_decides_the_exit_code(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments(broken="dev"))
    assert run_cli("validate", cwd=repo).code == 1
    assert run_cli("validate", "--fail-on", "never", cwd=repo).code == 0
    never = run_cli("validate", cwd=repo, env={"GITOPS_VALIDATOR_FAIL_ON": "never"})
    assert never.code == 0


def test_text_output_is_editor_lines_then_environments_then_a_verdict(make_repo, run_cli) -> None:
    repo = make_repo(three_environments(broken="staging"))
    plain = run_cli("validate", cwd=repo)
    assert "\033[" not in plain.stdout
    lines = plain.stdout.splitlines()
    assert any(
        line.startswith(
            "overlays/staging/kustomization.yaml:4:1: error render-failed: "
        )  # the entry
        for line in lines
    )
    assert any(
        line.split() == ["staging", "0", "resources", "Kubernetes", "1.33", "✗", "render", "failed"]
        for line in lines
    )
    assert lines[-1] == "✗ failed: 1 error, 0 warnings, 0 info in 1 file (fail on: error)"
    colored = run_cli("validate", cwd=repo, env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\033[31m" in colored.stdout
    assert (
        "\033["
        not in run_cli("validate", "--color", "never", cwd=repo, env={"FORCE_COLOR": "1"}).stdout
    )
    assert "\033[" in run_cli("validate", "--color=always", cwd=repo).stdout


def test_internal_error_is_exit_70_without_traceback(
    demo_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom with a detail that must not be printed")

    monkeypatch.setattr(pipeline, "validate", explode)
    assert main(["--repo", str(demo_repo), "validate"]) == 70
    err = capsys.readouterr().err
    assert "internal error (RuntimeError)" in err
    assert "Traceback" not in err and "boom" not in err


def test_usage_error_from_argparse_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--jobs", "0"])
    assert exited.value.code == 2
