"""Locate the external tools the render stage runs, and their versions (part of the cache key)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from validator.model import ToolMissingError

INSTALL_HINT = (
    "install kubectl >= 1.32 (it bundles kustomize v5) or a standalone kustomize v5 and put it "
    "on PATH: https://kubernetes.io/docs/tasks/tools/"
)


@dataclass(frozen=True, slots=True)
class KustomizeTool:
    command: tuple[str, ...]  # e.g. ("kustomize", "build") or ("kubectl", "kustomize")
    version: str

    @property
    def label(self) -> str:
        return " ".join(self.command)


@cache
def find_kustomize() -> KustomizeTool:
    """`kustomize` if on PATH, else `kubectl kustomize`; ToolMissingError if neither works."""
    standalone = shutil.which("kustomize")
    if standalone:
        return KustomizeTool((standalone, "build"), _run_version([standalone, "version"]))
    kubectl = shutil.which("kubectl")
    if kubectl:
        output = _run_version([kubectl, "version", "--client", "-o", "json"])
        try:
            version = str(json.loads(output).get("kustomizeVersion", "unknown"))
        except json.JSONDecodeError:
            version = "unknown"
        return KustomizeTool((kubectl, "kustomize"), version)
    raise ToolMissingError(f"neither kustomize nor kubectl was found on PATH: {INSTALL_HINT}")


def _run_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ToolMissingError(f"{argv[0]} does not run ({error}): {INSTALL_HINT}") from None
    if done.returncode != 0:
        raise ToolMissingError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[:300]}")
    return done.stdout.strip()


@cache
def helm_sdk_version() -> str:
    import helm_python

    return f"helm-sdk {helm_python.helm_sdk_version()} (helm-python {helm_python.__version__})"
