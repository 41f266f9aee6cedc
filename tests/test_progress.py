"""Progress shows on a terminal only: CI logs and pipes stay plain."""

from __future__ import annotations

import io
import sys

import pytest

from validator.cli.main import main


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stderr_of_validate(demo_repo, monkeypatch: pytest.MonkeyPatch, stream: io.StringIO) -> str:
    monkeypatch.setattr(sys, "stderr", stream)
    assert main(["--repo", str(demo_repo), "validate", "--format", "json"]) == 0
    return stream.getvalue()


def test_terminal_shows_progress_per_environment_and_stage(
    demo_repo, monkeypatch: pytest.MonkeyPatch, cache_dir, capsys
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("GITOPS_VALIDATOR_CACHE_DIR", str(cache_dir))
    shown = _stderr_of_validate(demo_repo, monkeypatch, FakeTerminal())
    assert "rendering 4 environments" in shown
    for step in ("prod: secrets", "prod: schema", "prod: policy", "status-prod: policy"):
        assert step in shown
    assert shown.endswith("\r\033[K")  # the progress line is cleared before the report
    assert capsys.readouterr().out.startswith("{")  # stdout holds only the report


@pytest.mark.parametrize("ci", [True, False])
def test_ci_logs_and_pipes_stay_plain(
    demo_repo, monkeypatch: pytest.MonkeyPatch, cache_dir, ci: bool
) -> None:
    monkeypatch.setenv("GITOPS_VALIDATOR_CACHE_DIR", str(cache_dir))
    if ci:
        monkeypatch.setenv("CI", "true")
        stream: io.StringIO = FakeTerminal()
    else:
        monkeypatch.delenv("CI", raising=False)
        stream = io.StringIO()
    assert _stderr_of_validate(demo_repo, monkeypatch, stream) == ""
