"""The daily loop through the real CLI: findings once, flags anywhere, help that teaches,
loose manifests, bundles refused with reasons, and --watch."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from support import RunCli, deployment, three_environments

from validator.apply.kube import ClusterUnreachableError, KubeClient
from validator.cli.watch import watch
from validator.model import RenderedEnvironment
from validator.outcome import ValidationReport

PRIVILEGED = deployment("web").replace(
    "          image: nginx:1.27\n",
    "          image: nginx:1.27\n          securityContext:\n            privileged: true\n",
)
LEAKY_CONFIG = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n"
    # Spelled in two parts so that scanning this repository does not flag its own test.
    "  GITHUB_TOKEN: ghp" + "_R7tXk2LmQ9vB4nW8yZ3cF6hJ1pD5sA0eG2uK\n"
)


def _base_defect_repo() -> dict[str, str]:
    files = three_environments()
    files["overlays/base/deployment.yaml"] = PRIVILEGED
    files["overlays/base/config.yaml"] = LEAKY_CONFIG
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - config.yaml\n"
    return files


def test_a_base_defect_is_one_line_naming_every_environment(make_repo, run_cli: RunCli) -> None:
    result = run_cli("validate", cwd=make_repo(_base_defect_repo()))
    assert result.code == 1
    lines = result.stdout.splitlines()
    privileged = [line for line in lines if "disallow-privileged-containers" in line]
    assert privileged == [
        "overlays/base/deployment.yaml:19:13: error disallow-privileged-containers: "
        "privileged containers are not allowed: web"
    ]
    context = lines[lines.index(privileged[0]) + 1]
    assert context.strip().endswith("[dev, staging, prod]")
    # The repository scan and the three environments saw one token: one line.
    leaks = [line for line in lines if "secret-leak" in line]
    assert leaks == [
        line
        for line in leaks
        if line.startswith("overlays/base/config.yaml:6:3: error secret-leak")
    ]
    assert len(leaks) == 1
    assert "2 errors, 0 warnings, 0 info in 2 files" in lines[-1]


def test_text_output_is_identical_across_runs_and_quiet_keeps_findings(
    make_repo, run_cli: RunCli
) -> None:
    repo = make_repo(_base_defect_repo())
    first, second = run_cli("validate", cwd=repo), run_cli("validate", cwd=repo)
    assert first.stdout == second.stdout
    quiet = run_cli("validate", "-q", cwd=repo).stdout.splitlines()
    assert not quiet[0].startswith("gitops-validator")
    assert not any(line.startswith("  dev ") for line in quiet)
    assert quiet[-1].startswith("✗ failed: 2 errors")


def test_global_flags_after_the_command(make_repo, run_cli: RunCli, tmp_path: Path) -> None:
    repo = make_repo(three_environments())
    after = run_cli("validate", "-v", "--repo", str(repo), cwd=tmp_path)
    assert after.code == 0, after.stderr
    assert "dev: running" in after.stderr or "render cache" in after.stderr
    both = run_cli("-v", "validate", "-v", cwd=repo)  # counts add up to -vv
    assert both.code == 0
    # Environments render in parallel threads: their log lines come in any order.
    twice = sorted(run_cli("-vv", "validate", cwd=repo).stderr.splitlines())
    assert sorted(both.stderr.splitlines()) == twice
    quiet_after = run_cli("validate", "--quiet", cwd=repo)
    assert not quiet_after.stdout.startswith("gitops-validator")


def test_subcommand_help_has_a_description_examples_and_every_option_explained(
    run_cli: RunCli,
) -> None:
    for command in ("validate", "render", "report", "bundle", "apply", "drift", "envs"):
        text = run_cli(command, "--help").stdout
        assert "examples:" in text or command == "envs", command
        assert "gitops-validator" in text
    validate = run_cli("validate", "--help").stdout
    assert "lowest severity that fails the run" in validate
    bundle = run_cli("bundle", "--help").stdout
    assert "the environment to bundle" in bundle
    assert "policy explain" in run_cli("policy", "--help").stdout


def test_loose_manifest_files_and_stdin(make_repo, run_cli: RunCli) -> None:
    repo = make_repo({"deploy.yaml": "# a comment\n---\n" + PRIVILEGED})
    from_file = run_cli("validate", "deploy.yaml", cwd=repo)
    assert from_file.code == 1
    assert "deploy.yaml:21:13: error disallow-privileged-containers" in from_file.stdout
    from_stdin = run_cli("validate", "-", cwd=repo, stdin=PRIVILEGED)
    assert from_stdin.code == 1
    assert "-:19:13: error disallow-privileged-containers" in from_stdin.stdout
    clean = run_cli("validate", "-", cwd=repo, stdin=deployment("ok"), env={})
    assert "disallow-privileged-containers" not in clean.stdout
    broken = run_cli("validate", "-", cwd=repo, stdin="a: [unclosed\n")
    assert broken.code == 1 and "yaml-invalid" in broken.stdout
    missing = run_cli("validate", "nope.yaml", cwd=repo)
    assert missing.code == 2 and "nope.yaml: no such file" in missing.stderr


def test_bundle_is_not_refused_for_another_environments_file_and_lists_what_blocks(
    make_repo, run_cli: RunCli, tmp_path: Path
) -> None:
    files = three_environments()
    files["overlays/staging/extra.yaml"] = LEAKY_CONFIG
    files["overlays/staging/kustomization.yaml"] += "  - extra.yaml\n"
    repo = make_repo(files)
    prod = run_cli("bundle", "--env", "prod", "--output", str(tmp_path / "prod"), cwd=repo)
    assert prod.code == 0, prod.stderr
    staging = run_cli("bundle", "--env", "staging", "--output", str(tmp_path / "st"), cwd=repo)
    assert staging.code == 1
    assert "overlays/staging/extra.yaml:6:3: error secret-leak" in staging.stderr


def _report(name: str, files: frozenset[str]) -> ValidationReport:
    env = RenderedEnvironment(name=name, kubernetes_version="1.33", resources=(), input_files=files)
    return ValidationReport(environments=(env,), findings=())


def test_watch_revalidates_only_the_environment_a_saved_file_affects(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    (tmp_path / "b.yaml").write_text("b: 1\n")
    inputs = {"dev": frozenset({"a.yaml"}), "prod": frozenset({"b.yaml"})}
    calls: list[tuple[str, ...]] = []
    shown = threading.Event()

    def validate(environments: tuple[str, ...]) -> ValidationReport:
        calls.append(environments)
        names = environments or tuple(inputs)
        envs = tuple(
            RenderedEnvironment(name, "1.33", (), input_files=inputs[name]) for name in names
        )
        return ValidationReport(environments=envs, findings=())

    stop = threading.Event()
    worker = threading.Thread(
        target=watch,
        args=(tmp_path, validate, lambda report: shown.set()),
        kwargs={"stop": stop, "interval": 0.02},
    )
    worker.start()
    try:
        assert shown.wait(10)
        shown.clear()
        time.sleep(0.05)
        (tmp_path / "b.yaml").write_text("b: 22\n")
        assert shown.wait(10)
    finally:
        stop.set()
        worker.join(10)
    assert calls[0] == ()
    assert calls[1] == ("prod",)


def test_policy_list_says_which_environments_each_policy_is_in_force_for(
    make_repo, run_cli: RunCli
) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = (
        "policies: {builtin: baseline}\n"
        "environments:\n"
        "  dev: {path: overlays/dev}\n"
        "  prod: {path: overlays/prod, policyProfile: restricted}\n"
    )
    listed = run_cli("policy", "list", cwd=make_repo(files))
    assert listed.code == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:5] == ["POLICY", "PROFILE", "LEVEL", "IN", "FORCE"]
    by_name = {row.split()[0]: row.split() for row in rows if not row.startswith(" ")}
    assert by_name["disallow-privileged-containers"][3] == "all"  # baseline ⊂ restricted
    assert by_name["require-run-as-non-root"][3] == "prod"  # restricted only
    assert by_name["disallow-latest-tag"][3] == "-"  # best practice: profile all only


def test_monorepo_paths_in_annotations_and_sarif_are_relative_to_the_checkout(
    make_repo, run_cli: RunCli
) -> None:
    files = {f"deploy/{name}": text for name, text in _base_defect_repo().items()}
    checkout = make_repo(files)
    project = checkout / "deploy"
    annotations = run_cli("validate", "--format", "github", cwd=project).stdout
    assert "file=deploy/overlays/base/deployment.yaml,line=19" in annotations
    sarif = run_cli("validate", "--format", "sarif", cwd=project).stdout
    assert '"uri": "deploy/overlays/base/deployment.yaml"' in sarif
    text = run_cli("validate", cwd=project).stdout  # people run it where the config is
    assert "\noverlays/base/deployment.yaml:19:13: error" in text


def test_an_unreachable_cluster_is_named_with_its_url_and_the_reason(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: not-a-real-token}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    with (
        KubeClient.from_kubeconfig(kubeconfig) as client,
        pytest.raises(ClusterUnreachableError) as raised,
    ):
        client.ping()
    message = str(raised.value)
    assert f"cannot reach the cluster at http://127.0.0.1:{port}" in message
    assert "connection refused" in message
    assert "not-a-real-token" not in message
