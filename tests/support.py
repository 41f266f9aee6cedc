"""Helpers shared by the top-level tests (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_PARTS = ("overlays", "secrets", "gitops-validator.yaml")


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def deployment(name: str, image: str = "nginx:1.27", replicas: int = 1) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: {image}
"""


def three_environments(broken: str | None = None) -> dict[str, str]:
    """A base and dev/staging/prod overlays; `broken` names an overlay with a bad resource."""
    files = {
        "overlays/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "overlays/base/deployment.yaml": deployment("web"),
    }
    for env in ("dev", "staging", "prod"):
        resources = ["../base"] + (["missing.yaml"] if env == broken else [])
        listed = "".join(f"  - {r}\n" for r in resources)
        files[f"overlays/{env}/kustomization.yaml"] = f"namespace: shop-{env}\nresources:\n{listed}"
    files["gitops-validator.yaml"] = (
        "environments:\n"
        "  dev: {path: overlays/dev}\n"
        "  staging: {path: overlays/staging}\n"
        "  prod: {path: overlays/prod}\n"
    )
    return files
