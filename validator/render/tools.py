"""Locate the external tools the render stage runs, and their versions (part of the cache key)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from validator.model import ToolMissingError

INSTALL_HINT = (
    "run tools/build-k8s-tools.sh (builds the pinned kustomize with Go), or install kubectl >= "
    "1.32 (it bundles kustomize v5) or a standalone kustomize v5 and put it on PATH: "
    "https://kubernetes.io/docs/tasks/tools/"
)
# The kustomize release tools/build-k8s-tools.sh builds (pinned in tools/go/kustomize/go.mod; a
# test keeps the two equal), and the environment variables that point at a specific binary.
PINNED_KUSTOMIZE = "v5.8.2"
KUSTOMIZE_ENV = "GITOPS_VALIDATOR_KUSTOMIZE"
TOOLS_DIR_ENV = "GITOPS_VALIDATOR_TOOLS_DIR"


@dataclass(frozen=True, slots=True)
class KustomizeTool:
    command: tuple[str, ...]  # e.g. ("kustomize", "build") or ("kubectl", "kustomize")
    version: str

    @property
    def label(self) -> str:
        return " ".join(self.command)


def tools_dir() -> Path:
    """Where tools/build-k8s-tools.sh caches the binaries it builds (one machine, all runs)."""
    configured = os.environ.get(TOOLS_DIR_ENV)
    if configured:
        return Path(configured)
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "gitops-validator-tools"


def built_tool(name: str, version: str) -> Path | None:
    """The project-built binary `name` at `version`, if tools/build-k8s-tools.sh made it."""
    path = tools_dir() / f"{name}-{version}" / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


@cache
def find_kustomize() -> KustomizeTool:
    """The first that exists: $GITOPS_VALIDATOR_KUSTOMIZE, the project-built pinned kustomize,
    `kustomize` on PATH, `kubectl kustomize`; ToolMissingError if none works."""
    configured = os.environ.get(KUSTOMIZE_ENV)
    if configured and not Path(configured).is_file():
        raise ToolMissingError(f"{KUSTOMIZE_ENV} names {configured}, which is not a file")
    standalone = (
        configured or built_tool("kustomize", PINNED_KUSTOMIZE) or shutil.which("kustomize")
    )
    if standalone:
        argv = [str(standalone), "version"]
        return KustomizeTool((str(standalone), "build"), _run_version(argv))
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
def helm_package_version() -> str:
    """The installed helm-python-sdk, which pins the Helm SDK it embeds: enough for cache keys,
    without loading Helm's Go library (a tenth of a second) as helm_sdk_version() must."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"helm-python {version('helm-python-sdk')}"
    except PackageNotFoundError:
        return helm_sdk_version()


@cache
def helm_sdk_version() -> str:
    import helm_python

    return f"helm-sdk {helm_python.helm_sdk_version()} (helm-python {helm_python.__version__})"
