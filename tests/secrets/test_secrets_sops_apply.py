"""Apply time: SOPS objects and ref+sops files; age keys and OpenBao transit as key provider."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml_rs
from openbao_support import OpenBao, base_environ
from secrets_support import AgeKey, Encrypt, make_resource, make_settings, sops_binary, write

from validator.secrets.errors import (
    SecretKeyNotFoundError,
    SecretReferenceError,
    SopsKeyProviderDeniedError,
    SopsKeyUnavailableError,
    SopsMacMismatchError,
)
from validator.secrets.vault import hc_vault_allowlist, resolve_secrets

K8S = ["--encrypted-regex", "^(data|stringData)$"]
SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  password: {password}
  api: {api}
"""


def transit_encrypt(bao: OpenBao, text: str, filename: str, workdir: Path, extra: list[str]) -> str:
    """Encrypt with OpenBao's transit engine as the sops key provider (the real sops)."""
    command = [
        sops_binary(),
        "encrypt",
        "--filename-override",
        filename,
        "--hc-vault-transit",
        f"{bao.address}/v1/transit/keys/sops",
        *extra,
    ]
    env = base_environ(workdir, VAULT_ADDR=bao.address, VAULT_TOKEN=bao.root_token)
    result = subprocess.run(
        command, input=text, capture_output=True, text=True, cwd=workdir, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "hc_vault" in result.stdout
    return result.stdout


def age_env(home: str, key: AgeKey) -> dict[str, str]:
    return base_environ(Path(home), SOPS_AGE_KEY=key.identity)


def test_transit_encrypted_object_is_decrypted_with_a_token(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    text = SECRET.format(password="transit-pw", api="ref+vault://secret/transit-api#/key")
    openbao.put("transit-api", {"key": "from-kv"})
    body = yaml_rs.loads(transit_encrypt(openbao, text, "s.yaml", tmp_path, K8S))
    env = base_environ(Path(clean_home), VAULT_TOKEN=openbao.token("reader"))
    [resolved] = resolve_secrets([make_resource(body)], openbao.settings(tmp_path), environ=env)
    assert resolved["stringData"] == {"password": "transit-pw", "api": "from-kv"}
    assert "sops" not in resolved


def test_transit_decryption_uses_the_approle_login_token(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    text = SECRET.format(password="approle-pw", api="plain")
    body = yaml_rs.loads(transit_encrypt(openbao, text, "s.yaml", tmp_path, K8S))
    approle = openbao.client().auth.approle
    role_id = approle.read_role_id(role_name="deployer")["data"]["role_id"]
    secret_id = approle.generate_secret_id(role_name="deployer")["data"]["secret_id"]
    env = base_environ(Path(clean_home), VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id)
    settings = openbao.settings(tmp_path, auth={"method": "approle"})
    [resolved] = resolve_secrets([make_resource(body)], settings, environ=env)
    assert resolved["stringData"]["password"] == "approle-pw"


def test_transit_key_outside_the_allowlist_is_refused(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    text = SECRET.format(password="pw", api="x")
    body = yaml_rs.loads(transit_encrypt(openbao, text, "s.yaml", tmp_path, K8S))
    settings = openbao.settings(
        tmp_path, key_providers={"hcVault": ("https://vault.corp.example",)}
    )
    assert hc_vault_allowlist(settings) == ("https://vault.corp.example",)
    env = base_environ(Path(clean_home), VAULT_TOKEN=openbao.root_token)
    with pytest.raises(SopsKeyProviderDeniedError, match=r"not in secrets\.allowedKeyProviders"):
        resolve_secrets([make_resource(body)], settings, environ=env)


def test_denied_token_cannot_decrypt_transit(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    body = yaml_rs.loads(
        transit_encrypt(openbao, SECRET.format(password="pw", api="x"), "s.yaml", tmp_path, K8S)
    )
    env = base_environ(Path(clean_home), VAULT_TOKEN=openbao.token("nothing"))
    with pytest.raises(SopsKeyUnavailableError, match="exit 128"):
        resolve_secrets([make_resource(body)], openbao.settings(tmp_path), environ=env)


def test_age_object_and_ref_sops_file(
    encrypt: Encrypt, dev_key: AgeKey, tmp_path: Path, clean_home: str
) -> None:
    write(tmp_path, "secrets/app.enc.yaml", encrypt("db:\n  password: file-pw\n", "app.enc.yaml"))
    write(tmp_path, "secrets/app.enc.env", encrypt("TOKEN=env-token\n", "app.enc.env"))
    text = SECRET.format(password="age-pw", api="ref+sops://secrets/app.enc.yaml#/db/password")
    body = yaml_rs.loads(encrypt(text, "s.yaml", extra=K8S))
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {
            "token": "ref+sops://secrets/app.enc.env#/TOKEN",
            "whole": "ref+sops://secrets/app.enc.env",
        },
    }
    resources = [make_resource(body), make_resource(config)]
    resolved = resolve_secrets(
        resources, make_settings(tmp_path), environ=age_env(clean_home, dev_key)
    )
    assert resolved[0]["stringData"] == {"password": "age-pw", "api": "file-pw"}
    assert resolved[1]["data"] == {"token": "env-token", "whole": "TOKEN=env-token\n"}


def test_ref_sops_errors(
    encrypt: Encrypt, dev_key: AgeKey, prod_key: AgeKey, tmp_path: Path, clean_home: str
) -> None:
    write(tmp_path, "secrets/app.enc.yaml", encrypt("db:\n  password: pw\n", "app.enc.yaml"))
    settings = make_settings(tmp_path)

    def resolve(value: str, key: AgeKey) -> None:
        config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
        config["data"] = {"v": value}
        resolve_secrets([make_resource(config)], settings, environ=age_env(clean_home, key))

    with pytest.raises(SecretKeyNotFoundError, match="has no key 'db/user'"):
        resolve("ref+sops://secrets/app.enc.yaml#/db/user", dev_key)
    with pytest.raises(SecretReferenceError, match="is not in the repository"):
        resolve("ref+sops://secrets/missing.enc.yaml#/db/password", dev_key)
    with pytest.raises(SopsKeyUnavailableError, match="exit 128"):
        resolve("ref+sops://secrets/app.enc.yaml#/db/password", prod_key)


def test_tampered_object_is_a_mac_mismatch(
    encrypt: Encrypt, dev_key: AgeKey, tmp_path: Path, clean_home: str
) -> None:
    encrypted = encrypt(SECRET.format(password="pw", api="x"), "s.yaml", extra=K8S)
    body = yaml_rs.loads(encrypted.replace("name: db", "name: other"))
    with pytest.raises(SopsMacMismatchError, match="Secret/shop/other"):
        resolve_secrets(
            [make_resource(body)], make_settings(tmp_path), environ=age_env(clean_home, dev_key)
        )
