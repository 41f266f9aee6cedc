"""Every file the tool writes appears whole or not at all (issue 10, item 8).

A full disk is simulated with RLIMIT_FSIZE in the child: a write past the limit fails with
EFBIG exactly where ENOSPC would (Python ignores SIGXFSZ, so it is an OSError, not a kill).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from support import CliResult

LIMIT = 200


def _run_small_disk(*args: str, cwd: Path, cache: Path) -> CliResult:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

    done = subprocess.run(
        [sys.executable, "-m", "validator", *args],
        cwd=cwd,
        env={**os.environ, "GITOPS_VALIDATOR_CACHE_DIR": str(cache), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_a_full_disk_while_bundling_leaves_nothing_and_a_rerun_works(
    demo_repo: Path, run_cli, cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    bundle = out / "bundle"
    full = _run_small_disk(
        "bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo, cache=cache_dir
    )
    assert full.code == 2, full.stderr
    assert "cannot write the bundle" in full.stderr
    assert "Traceback" not in full.stderr
    assert not bundle.exists()
    assert _leftovers(out) == []
    rerun = run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo)
    assert rerun.code == 0, rerun.stderr
    assert (bundle / "bundle.json").is_file()


def test_a_full_disk_while_writing_a_report_leaves_no_empty_file(
    demo_repo: Path, cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    report = out / "findings.sarif"
    result = _run_small_disk(
        "validate",
        "--format",
        f"sarif={report}",
        "--fail-on",
        "never",
        cwd=demo_repo,
        cache=cache_dir,
    )
    assert result.code == 2, result.stderr
    assert f"cannot write {report}" in result.stderr
    assert not report.exists()
    assert _leftovers(out) == []


def test_a_full_disk_while_writing_the_compliance_report_leaves_no_empty_file(
    demo_repo: Path, cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "compliance"
    result = _run_small_disk("report", "--output", str(out), cwd=demo_repo, cache=cache_dir)
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    written = list(out.iterdir()) if out.exists() else []
    assert all(p.stat().st_size > 0 for p in written)
    assert not [p for p in written if p.name.startswith(".")]
