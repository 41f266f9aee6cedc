"""`policy test | list | explain`: the built-in library and the repository's own policies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from validator.cli.exitcodes import ExitCode
from validator.cli.parsing import add_command
from validator.model import Settings

if TYPE_CHECKING:  # the CEL engine is imported only when a policy command runs
    from validator import policy
    from validator.cli.parsing import SubParsers


def policy_command(settings: Settings, args: argparse.Namespace) -> ExitCode:
    handlers = {"test": _test, "list": _list, "explain": _explain}
    return handlers[args.policy_command](settings, args)


def _repository_policies(settings: Settings) -> policy.PolicySet | None:
    from validator import policy

    paths = [settings.repo_root / p for p in settings.policies.paths]
    return policy.load_policy_files(paths, settings.repo_root) if paths else None


def _test(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import policy

    if args.paths:
        paths = [Path(p) for p in args.paths]
    else:
        paths = [policy.builtin_dir(), *(settings.repo_root / p for p in settings.policies.paths)]
    engine = args.gatekeeper_engine or ("rego" if settings.policies.gatekeeper_prefer_rego else "")
    report = policy.run_policy_tests(paths, prefer_rego=engine == "rego")
    for result in report.results:
        if args.verbose_results or not result.ok:
            verdict = "pass" if result.ok else "FAIL"
            print(
                f"{verdict}  {result.policy} x {result.resource}: expected {result.expected}, "
                f"got {result.actual}{f' ({result.detail})' if result.detail else ''}"
            )
            if not result.ok:
                print(f"      {result.file}: {result.test}")
    for error in report.errors:
        print(f"ERROR {error}")
    failed = len(report.failures)
    print(f"{len(report.results) - failed} passed, {failed} failed, {len(report.errors)} errors")
    return ExitCode.OK if report.passed else ExitCode.BLOCKING_FINDINGS


def _list(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import policy

    repository = _repository_policies(settings)
    infos = policy.list_policies(repository)
    in_force = _in_force(settings, [info.name for info in infos])
    width = max((len(info.name) for info in infos), default=len("POLICY"))
    envs_width = max(len(text) for text in [*in_force.values(), "IN FORCE FOR"])
    print(
        f"{'POLICY':<{width}}  {'PROFILE':<13} {'LEVEL':<7}  {'IN FORCE FOR':<{envs_width}}  TITLE"
    )
    for info in infos:
        where = in_force.get(info.name, "-")
        print(
            f"{info.name:<{width}}  {info.profile:<13} {info.severity:<7}  "
            f"{where:<{envs_width}}  {info.title}"
        )
        for skipped in info.skipped:
            print(f"{'':<{width}}  skipped: {skipped}")
    for family in policy.load_rego_families(settings):  # Gatekeeper constraints, conftest rules
        for rule_id, severity, title in family.listing():
            family_name = title.partition(":")[0]
            print(
                f"{rule_id:<{width}}  {family_name:<13} {severity:<7}  {title.partition(': ')[2]}"
            )
    for problem in repository.problems if repository else []:
        print(f"not run: {problem}")
    return ExitCode.OK


def _in_force(settings: Settings, names: list[str]) -> dict[str, str]:
    """Per policy, the environments it is in force for ("all", a list, or "-" for none)."""
    from validator import policy

    environments = [env.name for env in settings.environments]
    if not environments:
        return {}
    engine = policy.PolicyEngine.load(settings)
    family = {p.name for p in engine.user.family_policies}
    by_env = {env: {p.name for p in engine.policies_for(env)} | family for env in environments}
    shown = {}
    for name in names:
        found = [env for env in environments if name in by_env[env]]
        shown[name] = "all" if len(found) == len(environments) else ", ".join(found) or "-"
    return shown


def _explain(settings: Settings, args: argparse.Namespace) -> ExitCode:
    from validator import policy

    print(policy.explain(args.policy_id, _repository_policies(settings)))
    return ExitCode.OK


def add_policy_parser(sub: SubParsers) -> None:
    parser = add_command(
        sub,
        "policy",
        "test, list and explain policies",
        "Work with the policies in force: the built-in library and the repository's own.",
        "  gitops-validator policy list\n"
        "  gitops-validator policy explain disallow-privileged-containers\n"
        "  gitops-validator policy test policies/",
    )
    commands = parser.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    test = add_command(
        commands,
        "test",
        "run policy test manifests (ours and kyverno-test.yaml)",
        "Run policy test manifests and compare each result with the expected one.",
        "  gitops-validator policy test\n  gitops-validator policy test policies/ --show-passes",
    )
    test.add_argument("paths", nargs="*", help="files or directories (default: built-in + config)")
    test.add_argument(
        "--show-passes", dest="verbose_results", action="store_true", help="list passes too"
    )
    test.add_argument(
        "--gatekeeper-engine",
        choices=("cel", "rego"),
        help="engine for ConstraintTemplates with both (default cel, as gator)",
    )
    add_command(
        commands,
        "list",
        "list the policies and the environments they are in force for",
        "List the built-in and the repository's policies, with the environments each is in "
        "force for (by policy profile).",
    )
    explain = add_command(
        commands,
        "explain",
        "describe a policy with examples",
        "Describe one policy: what it checks, why, and failing and passing examples.",
        "  gitops-validator policy explain require-run-as-non-root",
    )
    explain.add_argument("policy_id", metavar="POLICY", help="the policy's name (see policy list)")
