"""Argument parsing and the top-level error handler."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from validator import __version__
from validator.cli import commands, delivery_commands
from validator.cli.delivery_commands import add_delivery_parsers
from validator.cli.doctor import doctor
from validator.cli.exitcodes import ExitCode, for_error
from validator.cli.policy_commands import add_policy_parser, policy_command
from validator.config import Overrides, resolve_settings
from validator.model import ValidatorError
from validator.report import WRITERS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops-validator",
        description="Render, check and validate every environment of a GitOps repository.",
    )
    parser.add_argument("--version", action="version", version=f"gitops-validator {__version__}")
    parser.add_argument("--repo", type=Path, help="repository root (default: where the config is)")
    parser.add_argument("--config", type=Path, help="configuration file")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more detail on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="render and validate environments")
    validate.add_argument("--env", action="append", default=[], help="only this environment")
    validate.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="FORMAT[=FILE]",
        help=f"output format ({', '.join(WRITERS)}); repeatable",
    )
    validate.add_argument("--output", help="file for the output (default: stdout)")
    validate.add_argument("--fail-on", choices=("error", "warning", "never"))
    validate.add_argument(
        "--changed-since",
        metavar="GITREV",
        help="PR mode: validate environments whose inputs changed since GITREV, with transitions",
    )
    validate.add_argument(
        "--new-only", action="store_true", help="with --changed-since: only new findings block"
    )
    validate.add_argument(
        "--check-refs",
        action="store_true",
        help="confirm referenced Vault secrets exist (reads metadata only; needs Vault login)",
    )
    validate.add_argument(
        "--files",
        nargs="*",
        metavar="FILE",
        help="only environments that read one of these files (pre-commit passes staged files)",
    )
    _add_render_flags(validate)

    render = sub.add_parser("render", help="print rendered manifests, Secret values masked")
    render.add_argument("--env", help="only this environment")
    render.add_argument("--output", help="directory for one <env>.yaml per environment")
    _add_render_flags(render)

    report = sub.add_parser("report", help="write the compliance report (html, json, md)")
    report.add_argument("--output", default="compliance-report", help="directory to write")
    report.add_argument("--previous", help="an earlier report.json, for the trend")
    _add_render_flags(report)

    envs = sub.add_parser("envs", help="list environments")
    envs.add_argument("--json", action="store_true", help="JSON list, e.g. for a CI matrix")
    add_policy_parser(sub)
    add_delivery_parsers(sub)
    sub.add_parser("doctor", help="check external tools and the configuration")
    return parser


def _add_render_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", default=None, help="ignore the cache")
    parser.add_argument("--jobs", type=_positive, help="environments rendered in parallel")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(_dispatch(args))
    except ValidatorError as error:
        print(f"gitops-validator: error: {error}", file=sys.stderr)
        return int(for_error(error))
    except BrokenPipeError:
        # The reader went away (`... | head`): nothing left to say, and nobody to say it to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        print("gitops-validator: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as error:  # the last line of defence: a message, never a traceback
        logging.getLogger("gitops_validator").debug("internal error", exc_info=True)
        print(
            f"gitops-validator: internal error ({type(error).__name__}); "
            "rerun with -vv for details and report it",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL)


def _dispatch(args: argparse.Namespace) -> ExitCode:
    overrides = Overrides(
        config_file=args.config,
        no_cache=getattr(args, "no_cache", None),
        jobs=getattr(args, "jobs", None),
        fail_on=getattr(args, "fail_on", None),
    )
    if args.command == "doctor":
        return doctor(args.repo, overrides)
    settings = resolve_settings(args.repo, overrides)
    handlers = {
        "validate": commands.validate,
        "render": commands.render,
        "envs": commands.envs,
        "report": commands.report,
        "bundle": delivery_commands.bundle,
        "apply": delivery_commands.apply_command,
        "drift": delivery_commands.drift,
        "reconcile": delivery_commands.reconcile,
        "policy": policy_command,
    }
    return handlers[args.command](settings, args)


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("gitops-validator: %(message)s"))
    root = logging.getLogger("gitops_validator")
    root.handlers[:] = [handler]
    root.setLevel(level)
