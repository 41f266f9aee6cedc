"""One function per subcommand; each returns an exit code and is the only code that prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from validator import pipeline
from validator.atomic import write_atomic
from validator.cli.exitcodes import ExitCode, for_report
from validator.cli.manifests import read_manifests
from validator.cli.outputs import OutputTarget, parse_targets, write_targets
from validator.cli.progress import TerminalProgress, progress_for
from validator.cli.watch import watch
from validator.loose import validate_manifests
from validator.model import Settings, UsageError
from validator.outcome import ValidationReport
from validator.report import load_previous, manifest_stream, write_compliance_report
from validator.selection import select_environments
from validator.stages import compliance_inputs


def validate(settings: Settings, args: argparse.Namespace) -> ExitCode:
    targets = parse_targets(args.format, args.output)
    if args.new_only and not args.changed_since:
        raise UsageError("--new-only needs --changed-since REV")
    if args.manifests:
        report = validate_manifests(settings, read_manifests(settings.repo_root, args.manifests))
        write_targets(report, targets, color=args.color, quiet=args.quiet)
        return for_report(report)
    if args.watch:
        return _watch(settings, args, targets)
    report = _validate(settings, args, tuple(args.env))
    write_targets(report, targets, color=args.color, quiet=args.quiet)
    return for_report(report)


def _validate(
    settings: Settings, args: argparse.Namespace, environments: tuple[str, ...]
) -> ValidationReport:
    progress = progress_for(sys.stderr, args.quiet)
    request = pipeline.ValidateRequest(
        environments=environments,
        changed_since=args.changed_since,
        files=tuple(args.files or ()),
        new_only=args.new_only,
        check_refs=args.check_refs,
        progress=progress,
    )
    try:
        return pipeline.validate(settings, request)
    finally:
        if isinstance(progress, TerminalProgress):
            progress.clear()


def _watch(settings: Settings, args: argparse.Namespace, targets: list[OutputTarget]) -> ExitCode:
    if args.changed_since or args.files:
        raise UsageError("--watch cannot be combined with --changed-since or --files")
    chosen = tuple(args.env)

    def run(environments: tuple[str, ...]) -> ValidationReport:
        return _validate(settings, args, environments or chosen)

    def show(report: ValidationReport) -> None:
        write_targets(report, targets, color=args.color, quiet=args.quiet)
        print("watching for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)

    config = [settings.config_file] if settings.config_file else []
    try:
        watch(settings.repo_root, run, show, extra_files=config)
    except KeyboardInterrupt:
        return ExitCode.OK  # the way a watch ends
    return ExitCode.OK


def render(settings: Settings, args: argparse.Namespace) -> ExitCode:
    specs = select_environments(settings, [args.env] if args.env else [])
    shown, findings = pipeline.render_for_display(settings, specs)
    for name, bodies in shown:
        stream = manifest_stream(bodies)
        if args.output:
            _write(Path(args.output) / f"{name}.yaml", stream)
        else:
            sys.stdout.write(f"# environment: {name}\n{stream}")
    failed = [f for f in findings if f.rule_id in ("render-failed", "yaml-invalid")]
    for finding in findings:
        where = f"{finding.location.file}:{finding.location.line}: " if finding.location else ""
        print(f"gitops-validator: {where}{finding.message}", file=sys.stderr)
    return ExitCode.BLOCKING_FINDINGS if failed else ExitCode.OK


def report(settings: Settings, args: argparse.Namespace) -> ExitCode:
    """The scheduled compliance report: written whatever it finds, so the exit code is 0."""
    result = pipeline.validate(settings)
    previous = load_previous(Path(args.previous)) if args.previous else None
    controls, exceptions = compliance_inputs(settings)
    out_dir = Path(args.output)
    written = write_compliance_report(
        result, out_dir, previous=previous, exceptions=exceptions, controls=controls
    )
    counts = result.counts()
    print(
        f"compliance report: {len(written)} files in {out_dir} "
        f"({counts['error']} errors, {counts['warning']} warnings, {counts['info']} info)"
    )
    return ExitCode.OK


def _write(path: Path, text: str) -> None:
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
