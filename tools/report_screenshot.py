"""Screenshot a compliance report's HTML with Debian's headless Chromium (`make report`).

Usage: python tools/report_screenshot.py REPORT_DIR   → REPORT_DIR/report.png
Exits non-zero, with the reason, when no Chromium is installed or the screenshot fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def screenshot(report_dir: Path, width: int = 1280, height: int = 1400) -> Path:
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        raise SystemExit("no Chromium on PATH: apt-get install chromium")
    shot = report_dir / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                f"--window-size={width},{height}",
                (report_dir / "report.html").resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0 or not shot.exists():
        raise SystemExit(f"chromium could not take the screenshot: {done.stderr[-500:]}")
    return shot


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(screenshot(Path(sys.argv[1])))
