"""Argument parsing and the top-level error handler."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from validator import __version__
from validator.cli import delivery_commands, envs_command
from validator.cli.delivery_commands import add_delivery_parsers
from validator.cli.exitcodes import ExitCode, for_error
from validator.cli.formats import FORMATS
from validator.cli.parsing import add_command, add_global_flags, positive_int
from validator.cli.policy_commands import add_policy_parser, policy_command
from validator.model import ValidatorError

# Heavy modules (the pipeline, CEL, the Helm SDK, the config loader) are imported by the
# commands that need them, so `--version` and `envs` start fast; see bench/ for the numbers.

if TYPE_CHECKING:
    from validator.cli.parsing import SubParsers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops-validator",
        description="Render, check and validate every environment of a GitOps repository.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gitops-validator {__version__}")
    add_global_flags(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_validate(sub)

    render = add_command(
        sub,
        "render",
        "print rendered manifests, Secret values masked",
        "Render environments exactly as the validator sees them. Every Secret value and every "
        "value recognised as a credential is masked.",
        "  gitops-validator render --env prod\n  gitops-validator render --output rendered/",
    )
    render.add_argument("--env", metavar="NAME", help="only this environment")
    render.add_argument("--output", metavar="DIR", help="write one DIR/<env>.yaml per environment")
    _add_render_flags(render)

    report = add_command(
        sub,
        "report",
        "write the compliance report (html, json, md, OpenReports)",
        "Validate every environment and write the compliance report: report.html, report.json, "
        "report.md and an OpenReports Report per environment. Exits 0 whenever the report is "
        "written, whatever it found.",
        "  gitops-validator report --output /tmp/compliance\n"
        "  gitops-validator report --output out/ --previous last/report.json",
    )
    report.add_argument(
        "--output",
        default="compliance-report",
        metavar="DIR",
        help="directory to write (default: ./compliance-report, which gets its own .gitignore)",
    )
    report.add_argument(
        "--previous", metavar="REPORT.json", help="an earlier report, for the trend"
    )
    _add_render_flags(report)

    envs = add_command(
        sub,
        "envs",
        "list environments",
        "List the environments: from the configuration, else discovered in the repository.",
        "  gitops-validator envs\n  gitops-validator envs --json   # a CI matrix",
    )
    envs.add_argument("--json", action="store_true", help="JSON list, e.g. for a CI matrix")
    add_policy_parser(sub)
    add_delivery_parsers(sub)
    add_command(
        sub,
        "doctor",
        "check external tools and the configuration",
        "Check kustomize, the Helm SDK, sops, the configuration and the cache directory; "
        "exits non-zero when a check fails.",
    )
    return parser


_EPILOG = """examples:
  gitops-validator validate                      every environment, text output
  gitops-validator validate --env prod -v        one environment, stages logged
  gitops-validator validate --format sarif=out.sarif --format markdown=comment.md
  gitops-validator validate --changed-since origin/main --new-only
  gitops-validator validate deploy.yaml          loose manifests (or - for stdin)

Run 'gitops-validator COMMAND --help' for a command's options and examples."""


def _add_validate(sub: SubParsers) -> None:
    validate = add_command(
        sub,
        "validate",
        "render and validate environments (or loose manifest files)",
        "Render every environment (or those given with --env), then check secrets, schemas "
        "and policies. Findings point at the file and line to edit. With FILE arguments, "
        "validates those manifests (or standard input, '-') without an environment.",
        "  gitops-validator validate\n"
        "  gitops-validator validate --env prod --env staging --fail-on warning\n"
        "  gitops-validator validate --format json --output findings.json\n"
        "  gitops-validator validate --changed-since origin/main --format markdown=comment.md\n"
        "  kubectl kustomize overlays/prod | gitops-validator validate -\n"
        "  gitops-validator validate --watch",
    )
    validate.add_argument(
        "manifests",
        nargs="*",
        metavar="FILE",
        help="manifest files to validate without an environment ('-' reads standard input)",
    )
    validate.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME",
        help="only this environment (repeatable)",
    )
    validate.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="FORMAT[=FILE]",
        help=f"output format ({', '.join(FORMATS)}); repeatable, FILE per format",
    )
    validate.add_argument("--output", metavar="FILE", help="file for the output (default: stdout)")
    validate.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        help="lowest severity that fails the run with exit 1 (default: error)",
    )
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
    validate.add_argument(
        "--watch",
        action="store_true",
        help="stay running: re-validate the environments a saved file affects",
    )
    _add_render_flags(validate)


def _add_render_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", default=None, help="ignore the cache")
    parser.add_argument(
        "--jobs", type=positive_int, metavar="N", help="environments rendered in parallel"
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        _configure_logging(args.verbose, args.quiet)
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
    from validator.config import Overrides, resolve_settings

    overrides = Overrides(
        config_file=args.config,
        no_cache=getattr(args, "no_cache", None),
        jobs=getattr(args, "jobs", None),
        fail_on=getattr(args, "fail_on", None),
        offline=args.offline,
    )
    if args.command == "doctor":
        from validator.cli.doctor import doctor

        return doctor(args.repo, overrides)
    settings = resolve_settings(args.repo, overrides)
    if args.command == "envs":
        return envs_command.envs(settings, args)
    from validator.cli import commands

    handlers = {
        "validate": commands.validate,
        "render": commands.render,
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
