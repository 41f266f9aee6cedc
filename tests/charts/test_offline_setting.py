"""`--offline` / GITOPS_VALIDATOR_OFFLINE reach Settings.offline; CLI beats the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.cli.main import build_parser
from validator.config import Overrides, resolve_settings


@pytest.mark.parametrize(
    ("flag", "variable", "expected"),
    [
        (None, None, False),
        (None, "1", True),
        (None, "true", True),
        (None, "0", False),
        (None, "false", False),
        (True, "0", True),
    ],
)
def test_offline_from_flag_and_environment(
    tmp_path: Path, flag: bool | None, variable: str | None, expected: bool
) -> None:
    environ = {"GITOPS_VALIDATOR_OFFLINE": variable} if variable is not None else {}
    settings = resolve_settings(tmp_path, Overrides(offline=flag), environ)
    assert settings.offline is expected


def test_offline_is_a_global_flag_before_the_command() -> None:
    assert build_parser().parse_args(["--offline", "envs"]).offline is True
    assert build_parser().parse_args(["envs"]).offline is None
