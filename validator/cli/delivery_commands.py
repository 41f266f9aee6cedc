"""`bundle`, `apply`, `drift` and `reconcile`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from validator.cli.exitcodes import ExitCode
from validator.cli.parsing import add_command
from validator.model import Settings

if TYPE_CHECKING:
    from validator import apply
    from validator.cli.parsing import SubParsers
    from validator.delivery import ClusterTarget

# The delivery modules import the kubernetes client (a third of a second): only these
# commands pay for it, inside the functions below.


def bundle(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import delivery

    sign_key = Path(args.sign) if args.sign else None
    manifest = delivery.bundle_environment(
        settings, args.env, Path(args.output), sign_key=sign_key, use_cache=args.use_cache
    )
    print(f"bundle {args.output}: environment {args.env}, {len(manifest.objects)} objects")
    return ExitCode.OK


def apply_command(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import delivery

    options = delivery.apply_options(
        settings,
        dry_run=args.dry_run,
        prune=args.prune,
        max_deletions=args.max_deletions,
        **_health(args),
    )
    report = delivery.run_bundle(
        settings, Path(args.bundle), _target(args), options, verify_key=_verify_key(args)
    )
    _print_report(report, args.report)
    return ExitCode.APPLY_OR_DRIFT if report.failed else ExitCode.OK


def drift(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import delivery

    options = delivery.apply_options(settings)
    report = delivery.run_bundle(
        settings,
        Path(args.bundle),
        _target(args),
        options,
        drift_only=True,
        verify_key=_verify_key(args),
    )
    _print_report(report, args.report)
    return ExitCode.APPLY_OR_DRIFT if report.drift_remains else ExitCode.OK


def reconcile(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import apply, delivery

    options = delivery.apply_options(
        settings, prune=args.prune, max_deletions=args.max_deletions, **_health(args)
    )
    interval = delivery.parse_interval(args.interval)
    summary = apply.reconcile(
        lambda: delivery.reconcile_once(settings, args.env, _target(args), options),
        interval=interval,
        max_iterations=args.max_iterations,
        # A failed iteration is logged (a warning) by the loop itself.
        on_result=lambda number, report: _print_report(report, args.report, iteration=number),
    )
    return ExitCode.APPLY_OR_DRIFT if _last_failed(summary) else ExitCode.OK


def _last_failed(summary: apply.ReconcileSummary[apply.ApplyReport]) -> bool:
    """The loop's exit says how the cluster was left: by the last iteration, whether it raised
    or returned a failed report."""
    if any(failure.iteration == summary.iterations for failure in summary.failures):
        return True
    return bool(summary.results) and summary.results[-1].failed


def _verify_key(args: argparse.Namespace) -> Path | None:
    return Path(args.verify_key) if args.verify_key else None


def _health(args: argparse.Namespace) -> dict[str, object]:
    return {"wait_for_health": not args.no_wait, "health_timeout": args.health_timeout}


def _target(args: argparse.Namespace) -> ClusterTarget:
    from validator.delivery import ClusterTarget

    kubeconfig = Path(args.kubeconfig) if args.kubeconfig else None
    return ClusterTarget(kubeconfig=kubeconfig, context=args.context)


def _print_report(
    report: apply.ApplyReport, path: str | None, iteration: int | None = None
) -> None:
    prefix = f"[{iteration}] " if iteration is not None else ""
    for result in report.objects:
        ref = result.ref
        where = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
        print(f"{prefix}{result.action.value:<10} {ref.kind} {where}")
        for field in result.drift:
            manager = f" (last written by {field.manager})" if field.manager else ""
            before, after = json.dumps(field.before), json.dumps(field.after)
            print(f"{prefix}    {field.path}: {before} -> {after}{manager}")
        if result.error:
            print(f"{prefix}    error: {result.error}")
    for ref in report.prune.deleted:
        print(f"{prefix}pruned     {ref.kind} {ref.namespace or ''}/{ref.name}")
    for ref in report.orphans:
        print(f"{prefix}orphan     {ref.kind} {ref.namespace or ''}/{ref.name} (left the bundle)")
    for note in (report.prune.refused, report.prune.aborted, *report.errors):
        if note:
            print(f"{prefix}note: {note}")
    for health in report.health:
        if not health.healthy:
            print(f"{prefix}unhealthy  {health.ref.kind} {health.ref.name}: {health.message}")
    summary = report.to_json()["summary"]
    print(
        f"{prefix}{report.mode} {report.environment}: {summary['drifted']} drifted, "
        f"{summary['pruned']} pruned, {summary['unhealthy']} unhealthy, "
        f"{summary['orphans']} orphaned, "
        f"{'FAILED' if report.failed else 'ok'}"
    )
    if path:
        from validator.apply import write_report

        write_report(report, Path(path))


def add_delivery_parsers(sub: SubParsers) -> None:
    make = add_command(
        sub,
        "bundle",
        "write a verified bundle of one environment",
        "Validate one environment and, when nothing blocks it, write its rendered objects "
        "(secrets still encrypted) and bundle.json with a digest per object. Findings about "
        "files only other environments read do not block it.",
        "  gitops-validator bundle --env prod --output dist/prod",
    )
    make.add_argument("--env", required=True, metavar="NAME", help="the environment to bundle")
    make.add_argument("--output", required=True, metavar="DIR", help="a new or empty directory")
    make.add_argument("--sign", metavar="KEY", help="sign bundle.json with this Ed25519 key")
    make.add_argument(
        "--use-cache", action="store_true", help="reuse verified cached renders (default: fresh)"
    )

    run = add_command(
        sub,
        "apply",
        "apply a verified bundle (server-side apply)",
        "Verify a bundle, decrypt SOPS values and resolve Vault references in memory, and "
        "server-side apply what drifted (CRDs and Namespaces first); optionally prune objects "
        "that left the bundle, within a deletion budget.",
        "  gitops-validator apply dist/prod --context prod --dry-run\n"
        "  gitops-validator apply dist/prod --prune --max-deletions 5",
    )
    run.add_argument("bundle", help="bundle directory or .tar.gz")
    _cluster_flags(run)
    _verify_flag(run)
    run.add_argument("--dry-run", action="store_true", help="plan only; change nothing")
    _prune_flags(run)

    check = add_command(
        sub,
        "drift",
        "report drift between a bundle and the cluster",
        "Compare a verified bundle with the live cluster and report each drifted field with "
        "the field manager that wrote it (secret values masked). Exits 7 when drift exists.",
        "  gitops-validator drift dist/prod --context prod --report drift.json",
    )
    check.add_argument("bundle", help="bundle directory or .tar.gz")
    _cluster_flags(check)
    _verify_flag(check)

    loop = add_command(
        sub,
        "reconcile",
        "render, validate, bundle and apply in a loop",
        "Run render, validate, bundle and apply for one environment every interval; a failed "
        "iteration is reported and retried.",
        "  gitops-validator reconcile --env prod --interval 5m --prune",
    )
    loop.add_argument("--env", required=True, metavar="NAME", help="the environment to reconcile")
    loop.add_argument("--interval", default="5m", help="time between runs, e.g. 30s, 5m, 1h")
    loop.add_argument("--max-iterations", type=int, default=None, help="stop after N runs")
    _cluster_flags(loop)
    _prune_flags(loop)


def _cluster_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--context", help="kubeconfig context")
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG)")
    parser.add_argument("--report", help="write the run's JSON report here")


def _verify_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verify-key", metavar="KEY", help="refuse unless signed by this Ed25519 public key"
    )


def _prune_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-wait", action="store_true", help="do not wait for health")
    parser.add_argument(
        "--health-timeout", type=float, default=120.0, metavar="SECONDS", help="default 120"
    )
    parser.add_argument("--prune", action="store_true", help="delete objects that left the bundle")
    parser.add_argument("--max-deletions", type=int, default=None, help="deletion budget")
