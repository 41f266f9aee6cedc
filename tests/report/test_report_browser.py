"""report.html opened by a real browser (Debian's headless Chromium) from a file:// URL."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from report_helpers import sample_report
from support import PROJECT_ROOT

from validator.report import write_compliance_report

ARTIFACTS = PROJECT_ROOT / ".test-artifacts"


def chromium() -> str:
    # Debian's package (what .ci/run installs), then what GitHub's Ubuntu runners ship.
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; CI must install Debian's chromium package")
    pytest.skip("chromium is not installed")


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--enable-logging=stderr",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_report_renders_the_findings_table_in_chromium(tmp_path: Path) -> None:
    browser = chromium()
    out = tmp_path / "report"
    now = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    write_compliance_report(sample_report(), out, now=now)
    page = (out / "report.html").as_uri()
    done = headless(browser, tmp_path / "profile", "--dump-dom", page)
    assert done.returncode == 0, done.stderr[-2000:]
    # Console errors (a CSP violation, a blocked load) are logged to stderr with this prefix.
    assert "CONSOLE" not in done.stderr, done.stderr[-2000:]
    dom = done.stdout  # what the browser built from the page, serialised back
    assert dom.lstrip().lower().startswith("<!doctype html>")
    table = dom[dom.index('<table id="findings">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + len(sample_report().findings)  # header + one per finding
    assert "disallow-privileged-containers" in table
    assert "overlays/prod/patch-web.yaml:14" in table
    assert "Content-Security-Policy" in dom  # nothing could have been fetched


def test_report_screenshot_is_not_blank(tmp_path: Path) -> None:
    browser = chromium()
    out = tmp_path / "report"
    write_compliance_report(sample_report(), out)
    shot = tmp_path / "report.png"
    done = headless(
        browser,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,1600",
        (out / "report.html").as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # A blank 1280x1600 page compresses to a few kilobytes; tables and colour do not.
    assert shot.stat().st_size > 20_000
    # Kept with the test artifacts (git-ignored), for a person to look at.
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy2(shot, ARTIFACTS / "compliance-report.png")
