"""Shared fixtures: the real sops binary, real age keys (pyrage), encryption of fixtures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence

import pytest
from openbao_support import OpenBao, running_openbao
from secrets_support import AgeKey, Encrypt, new_age_key, sops_binary


@pytest.fixture(scope="session")
def dev_key() -> AgeKey:
    return new_age_key()


@pytest.fixture(scope="session")
def prod_key() -> AgeKey:
    return new_age_key()


@pytest.fixture(scope="session")
def encrypt(tmp_path_factory: pytest.TempPathFactory, dev_key: AgeKey) -> Encrypt:
    """Encrypt `text` (stdin → stdout) as if it were `filename`, with the real sops."""
    workdir = tmp_path_factory.mktemp("sops-cwd")  # no .sops.yaml above it

    def run(
        text: str,
        filename: str,
        recipients: Sequence[str] | None = None,
        extra: Sequence[str] = (),
    ) -> str:
        keys = ",".join(recipients or [dev_key.recipient])
        command = [sops_binary(), "encrypt", "--filename-override", filename, "--age", keys]
        env = {**os.environ, "SOPS_AGE_KEY": dev_key.identity}
        result = subprocess.run(
            [*command, *extra],
            input=text,
            capture_output=True,
            text=True,
            cwd=workdir,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    return run


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    """A real OpenBao dev server on 127.0.0.1 for the whole session; always terminated."""
    with running_openbao(tmp_path_factory.mktemp("openbao")) as bao:
        yield bao


@pytest.fixture(scope="session")
def clean_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    """HOME for resolver environments: no ~/.vault-token or sops key files of the developer."""
    return str(tmp_path_factory.mktemp("home"))
