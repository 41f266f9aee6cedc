"""The console script's entry: an interrupt while the tool is still importing is exit 130,
without a traceback (the heavy imports happen here, before main()'s own handler exists)."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from validator.cli.main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("gitops-validator: interrupted\n")
        return 130  # ExitCode.INTERRUPTED, spelled out: importing it could be interrupted too
    return run()
