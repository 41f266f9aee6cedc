"""Exit codes that mean one thing: doctor and policy explain (issue 10, item 4)."""

from __future__ import annotations

from pathlib import Path

from support import RunCli, three_environments


def test_doctor_exits_non_zero_when_a_check_is_bad(
    make_repo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(three_environments())
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_cli("doctor", cwd=repo, env={"GITOPS_VALIDATOR_CACHE_DIR": str(blocker / "c")})
    assert "BAD  cache" in result.stdout
    assert result.code == 4, result.stdout


def test_doctor_passes_when_every_check_is_ok(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments())
    result = run_cli("doctor", cwd=repo)
    assert "BAD" not in result.stdout
    assert result.code == 0, result.stdout


def test_policy_explain_of_an_unknown_id_is_a_usage_error(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments())
    result = run_cli("policy", "explain", "no-such-policy", cwd=repo)
    assert result.code == 2, result.stderr
    assert "unknown policy 'no-such-policy'" in result.stderr
