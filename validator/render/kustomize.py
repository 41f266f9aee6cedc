"""Run kustomize on an overlay through a temporary wrapper kustomization.

The wrapper asks for origin annotations (there is no CLI flag for them) without touching the
user's files, and is the only place the helm shim is wired in.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.model import ValidatorError
from validator.render.failure import is_tool_warning
from validator.render.tools import KustomizeTool

TIMEOUT_SECONDS = 600
MEMORY_LIMIT_BYTES = 6 << 30
_PR_SET_PDEATHSIG = 1
_KLOG_PREFIX = re.compile(r'^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=')
# What the wrapper kustomization adds in front of every error about the overlay itself.
_WRAPPER_LAYER = re.compile(
    r"^accumulating resources: accumulation err='accumulating resources from '[^']*': "
    r"'[^']*' must resolve to a file': recursed accumulation of path '[^']*': "
)


class KustomizeError(ValidatorError):
    pass


@dataclass(frozen=True, slots=True)
class KustomizeOutput:
    stream: str
    wrapper: Path  # origin annotation paths are relative to this (now deleted) directory


@dataclass(frozen=True, slots=True)
class WrapperOptions:
    """What a Flux Kustomization adds on top of its path (kustomize-controller merges these
    spec fields into the kustomization it builds; a wrapper around it has the same effect)."""

    resources: tuple[Path, ...] = ()  # instead of the overlay: files and directories
    fields: Mapping[str, Any] | None = None  # patches, images, namespace, prefix/suffix
    components: tuple[Path, ...] = ()
    unrestricted: bool = False  # --load-restrictor LoadRestrictionsNone, as Flux builds


def run_kustomize(
    tool: KustomizeTool,
    overlay: Path,
    repo_root: Path,
    *,
    kubernetes_version: str,
    helm: bool,
    options: WrapperOptions = WrapperOptions(),
) -> KustomizeOutput:
    with tempfile.TemporaryDirectory(prefix="gitops-validator-") as scratch:
        wrapper = Path(scratch) / "wrapper"
        wrapper.mkdir()
        wrapped = {
            **(options.fields or {}),
            "resources": [os.path.relpath(p, wrapper) for p in options.resources or (overlay,)],
            "buildMetadata": ["originAnnotations"],
        }
        if options.components:
            wrapped["components"] = [os.path.relpath(p, wrapper) for p in options.components]
        (wrapper / "kustomization.yaml").write_text(json.dumps(wrapped) + "\n")
        argv = [*tool.command, str(wrapper)]
        if options.unrestricted:
            argv += ["--load-restrictor", "LoadRestrictionsNone"]
        if helm:
            argv += [
                "--enable-helm",
                "--helm-command",
                str(_write_helm_shim(Path(scratch))),
                "--helm-kube-version",
                kubernetes_version,
            ]
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
                preexec_fn=_bound_child,
            )
        except subprocess.TimeoutExpired:
            raise KustomizeError(f"{tool.label} timed out after {TIMEOUT_SECONDS} s") from None
        if done.returncode != 0:
            # Standalone kustomize prints an undecodable input line raw (kubectl escapes it).
            stderr = done.stderr.decode(errors="replace")
            raise KustomizeError(_clean_error(stderr, wrapper, repo_root))
        try:
            return KustomizeOutput(done.stdout.decode(), wrapper)
        except UnicodeDecodeError:
            raise KustomizeError(f"{tool.label} printed output that is not UTF-8") from None


def _bound_child() -> None:
    """Runs in the kustomize child: cap its memory and make it die with us.

    A hostile input (an alias bomb the source check missed) must not take the machine down,
    and a killed validator must not leave a kustomize process behind.
    """
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _write_helm_shim(scratch: Path) -> Path:
    shim = scratch / "helm"
    # -W ignore: a Python warning on the shim's stderr would end up in kustomize's error text
    command = f'exec "{sys.executable}" -W ignore -m validator.render.helm_shim "$@"'
    shim.write_text(f"#!/bin/sh\n{command}\n")
    shim.chmod(0o700)
    return shim


def _clean_error(stderr: str, wrapper: Path, repo_root: Path) -> str:
    """The last meaningful line of kustomize's stderr, with scratch paths made repo-relative."""
    lines = [
        _KLOG_PREFIX.sub("", line).strip()
        for line in stderr.strip().splitlines()
        if not is_tool_warning(line)
    ]
    if lines and lines[-1] == ">" and "<" in lines:
        # klog wraps a multi-line error as `err=<`, its lines, then `>`: keep all of them.
        start = len(lines) - 1 - lines[::-1].index("<")
        lines = [" ".join(line for line in lines[start + 1 : -1] if line)]
    message = next((line for line in reversed(lines) if line), "kustomize failed")
    message = message.removeprefix("Error: ").removeprefix("error: ").strip('"')
    to_repo = os.path.relpath(repo_root, wrapper)
    message = message.replace(to_repo + "/", "").replace(str(repo_root) + "/", "")
    message = _WRAPPER_LAYER.sub("", message.replace(str(wrapper), "<wrapper>"))
    return message[:600]
