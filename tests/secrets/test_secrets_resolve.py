"""Apply-time SOPS decryption in memory, with the real sops binary and real age keys."""

from __future__ import annotations

import re

import pytest
import yaml_rs
from secrets_support import CANARY, AgeKey, Encrypt, new_age_key

from validator.secrets.resolve import (
    SecretResolutionError,
    SopsCiphertextError,
    SopsKeyUnavailableError,
    SopsMacMismatchError,
    decrypt_object,
    decrypt_sops,
)

SECRET = f"""apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: {CANARY}
  user: app
"""
K8S = ["--encrypted-regex", "^(data|stringData)$"]


def key_env(key: AgeKey) -> dict[str, str]:
    return {"SOPS_AGE_KEY": key.identity, "SOPS_AGE_KEY_FILE": "/nonexistent"}


@pytest.mark.parametrize("parse_datetime", [False, True])
def test_object_decrypts_in_memory(encrypt: Encrypt, dev_key: AgeKey, parse_datetime: bool) -> None:
    body = yaml_rs.loads(encrypt(SECRET, "s.yaml", extra=K8S), parse_datetime=parse_datetime)
    assert isinstance(body, dict)
    plain = decrypt_object(body, env=key_env(dev_key))
    assert plain["stringData"] == {"password": CANARY, "user": "app"}
    assert "sops" not in plain


def test_dotenv_decrypts(encrypt: Encrypt, dev_key: AgeKey) -> None:
    data = encrypt(f"PW={CANARY}\n", "a.env").encode()
    assert decrypt_sops(data, "dotenv", env=key_env(dev_key)) == f"PW={CANARY}\n".encode()


def _assert_value_free(error: pytest.ExceptionInfo[SecretResolutionError]) -> None:
    assert CANARY not in str(error.value)
    assert "ENC[" not in str(error.value)


def test_missing_key_is_exit_128(encrypt: Encrypt) -> None:
    data = encrypt(SECRET, "s.yaml", extra=K8S).encode()
    with pytest.raises(SopsKeyUnavailableError, match="exit 128") as error:
        decrypt_sops(data, "yaml", label="secrets/db.yaml", env=key_env(new_age_key()))
    _assert_value_free(error)


def test_edited_plaintext_is_mac_mismatch(encrypt: Encrypt, dev_key: AgeKey) -> None:
    data = encrypt(SECRET, "s.yaml", extra=K8S).replace("name: db", "name: other")
    with pytest.raises(SopsMacMismatchError, match="exit 51") as error:
        decrypt_sops(data.encode(), "yaml", env=key_env(dev_key))
    _assert_value_free(error)


def test_plaintext_where_ciphertext_belongs_does_not_echo(
    encrypt: Encrypt, dev_key: AgeKey
) -> None:
    data = encrypt(SECRET, "s.yaml", extra=K8S)
    moved = re.sub(r"password: ENC\[[^\]]*\]", f"password: ENC[{CANARY}]", data)
    with pytest.raises(SecretResolutionError) as error:
        decrypt_sops(moved.encode(), "yaml", env=key_env(dev_key))
    _assert_value_free(error)


def test_swapped_ciphertext_fails_authentication(encrypt: Encrypt, dev_key: AgeKey) -> None:
    data = encrypt(SECRET, "s.yaml", extra=K8S)
    values = re.findall(r"(password|user): (ENC\[[^\]]*\])", data)
    swapped = data.replace(values[0][1], "@@").replace(values[1][1], values[0][1])
    swapped = swapped.replace("@@", values[1][1])
    with pytest.raises(SopsCiphertextError) as error:
        decrypt_sops(swapped.encode(), "yaml", env=key_env(dev_key))
    _assert_value_free(error)


def test_unknown_store_is_rejected() -> None:
    with pytest.raises(SecretResolutionError, match="unknown sops store"):
        decrypt_sops(b"x", "toml")
