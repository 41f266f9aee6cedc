"""The peers (checkov, kubernetes-validate) on the same rendered stream, from their own venv.

They are installed by the bench into bench/.peers-venv, never into the project's venv: their
dependencies must not decide what the tool itself runs with.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Series, repeat

VENV = Path(__file__).resolve().parent / ".peers-venv"
PACKAGES = ("checkov", "kubernetes-validate")


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    series: Series | None
    note: str


def ensure_venv() -> str | None:
    """None when the peers are ready, else why not (the rows then say so)."""
    missing = [p for p in ("checkov", "kubernetes-validate") if not (VENV / "bin" / p).exists()]
    if not missing:
        return None
    try:
        if not (VENV / "bin" / "pip").exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", *PACKAGES],
            check=True,
            timeout=1800,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"could not install {', '.join(PACKAGES)} into {VENV}: {type(error).__name__}"
    return None


def run_peers(stream: Path, objects: int, version: str, timeout: float) -> list[Peer]:
    problem = ensure_venv()
    if problem:
        return [Peer(name, None, problem) for name in PACKAGES]
    # checkov reads one file per object as the measurement did; a multi-document file
    # is read too, but the directory form is what its users point it at.
    split = stream.parent / "checkov-input"
    split.mkdir(exist_ok=True)
    for index, document in enumerate(stream.read_text().split("\n---\n")):
        if document.strip():
            (split / f"object-{index}.yaml").write_text(document + "\n")
    checkov = [str(VENV / "bin" / "checkov"), "-d", str(split), "--framework", "kubernetes"]
    checkov += ["--quiet", "--compact", "-o", "json", "--skip-download"]
    validate = [str(VENV / "bin" / "kubernetes-validate"), "--strict", "-k", version, str(stream)]
    peers = []
    for name, command, note in (
        ("checkov (kubernetes framework)", checkov, "every check, one file per object"),
        ("kubernetes-validate", validate, "strict schemas only"),
    ):
        series = repeat(command, 1, timeout=timeout)
        if series.last.code < 0:
            peers.append(Peer(name, None, series.last.stderr_tail))
        else:
            peers.append(Peer(name, series, f"{note}; {objects:,} objects, same stream"))
    return peers
