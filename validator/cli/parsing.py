"""Shared argparse pieces: options every command takes, and subcommands with help that teaches.

Global options (`--repo`, `--config`, `-v`, `-q`, `--color`) are accepted before the command
and after it (`validate -v`), as users of git and kubectl expect: each subcommand carries a copy
whose defaults are suppressed, so a flag given after the command adds to the one given before.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def add_global_flags(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--repo",
        type=Path,
        default=default(None),
        help="repository root (default: the git root above the configuration)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=default(None),
        help="configuration file (default: gitops-validator.yaml, looked up to the git root)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default(0),
        help="log each stage on stderr; -vv adds debug detail",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="print only findings and the closing line; only errors on stderr",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default=default("auto"),
        help="colour the text output (default: auto, on a terminal unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=default(None),
        help="no network: charts and schemas come from the on-disk cache only",
    )


_COMMON = argparse.ArgumentParser(add_help=False)
add_global_flags(_COMMON, suppress=True)


def add_command(
    sub: SubParsers, name: str, summary: str, description: str, examples: str = ""
) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (in the command list), a description and examples
    (in its own `--help`), and the global options."""
    epilog = "examples:\n" + examples.strip("\n") if examples else None
    return sub.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, width=88),
        epilog=epilog,
        parents=[_COMMON],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
