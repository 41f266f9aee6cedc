"""The world of the canary cases: a repository, an OpenBao server, age keys, canary values."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs
from openbao_support import OpenBao, base_environ
from secrets_support import AgeKey, Encrypt, make_resource, secret_body, sops_binary

from validator.model import Settings
from validator.secrets.vault import resolve_secrets

K8S = ["--encrypted-regex", "^(data|stringData)$"]


@dataclass
class World:
    bao: OpenBao
    root: Path
    home: Path
    encrypt: Encrypt
    dev_key: AgeKey
    prod_key: AgeKey
    canaries: list[str] = field(default_factory=list)

    def canary(self, what: str) -> str:
        value = f"canary-{what}-{secrets.token_hex(8)}"
        self.canaries.append(value)
        return value

    def vault_settings(self, **kw: Any) -> Settings:
        return self.bao.settings(self.root, **kw)

    def token_env(self, token: str | None = None) -> dict[str, str]:
        return base_environ(self.home, VAULT_TOKEN=token or self.bao.root_token)

    def age_env(self, key: AgeKey | None = None) -> dict[str, str]:
        return base_environ(self.home, SOPS_AGE_KEY=(key or self.dev_key).identity)

    def path_with(self, **values: str) -> str:
        path = f"canary/{secrets.token_hex(4)}"
        self.bao.put(path, values)
        return path

    def sops_secret(self, value: str) -> dict[str, Any]:
        text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  pw: {value}\n"
        body = yaml_rs.loads(self.encrypt(text, "s.yaml", extra=K8S))
        assert isinstance(body, dict)
        return body

    def transit_secret(self, value: str) -> dict[str, Any]:
        text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  pw: {value}\n"
        command = [sops_binary(), "encrypt", "--filename-override", "s.yaml"]
        command += ["--hc-vault-transit", f"{self.bao.address}/v1/transit/keys/sops", *K8S]
        env = base_environ(self.home, VAULT_TOKEN=self.bao.root_token)
        done = subprocess.run(command, input=text, capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        body = yaml_rs.loads(done.stdout)
        assert isinstance(body, dict)
        return body


Run = Callable[[], object]


def resolve(world: World, body: dict[str, Any], settings: Settings, env: dict[str, str]) -> Run:
    return lambda: resolve_secrets([make_resource(body)], settings, environ=env)


def vault_ref(world: World, value: str, **kw: Any) -> Run:
    body = secret_body(string_data={"p": value})
    return resolve(world, body, world.vault_settings(**kw), world.token_env())
