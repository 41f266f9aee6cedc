"""Exit codes of the delivery commands mean one thing each (issue 10, item 4).

Uses only the `kubeconfig` fixture (whatever API server the suite runs) and closed loopback
ports for an unreachable cluster.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from support import PROJECT_ROOT, RunCli, write_files

TEST_KEY = PROJECT_ROOT / "tests" / "fixtures" / "demo-age-key.TEST-ONLY.txt"
NAMESPACE = "orphans-test"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dead_kubeconfig(path: Path) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dead", "cluster": {"server": f"http://127.0.0.1:{_closed_port()}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
        "current-context": "dead",
    }
    path.write_text(json.dumps(config))
    return path


def _configmap(name: str) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
        f"  namespace: {NAMESPACE}\ndata:\n  colour: blue\n"
    )


def _repo(root: Path, names: list[str]) -> Path:
    listed = "".join(f"  - {n}.yaml\n" for n in ["namespace", *names])
    files = {
        "gitops-validator.yaml": "environments:\n  prod: {path: app}\n",
        "app/kustomization.yaml": f"resources:\n{listed}",
        "app/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n",
        **{f"app/{n}.yaml": _configmap(n) for n in names},
    }
    return write_files(root, files)


def test_apply_and_drift_without_a_cluster_exit_8_before_any_decryption(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    dead = _dead_kubeconfig(tmp_path / "dead.json")
    # No SOPS key at all: decrypting first would fail on the key, not on the cluster.
    no_key = {"SOPS_AGE_KEY_FILE": str(tmp_path / "absent-key.txt")}
    for command in (["apply", "--dry-run"], ["apply"], ["drift"]):
        result = run_cli(*command, str(bundle), "--kubeconfig", str(dead), env=no_key)
        assert result.code == 8, (command, result.stdout, result.stderr)
        assert "sops" not in result.stderr.lower()
        assert "/api" in result.stderr


def test_missing_kubeconfig_exits_8(demo_repo: Path, run_cli: RunCli, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    missing = tmp_path / "no-such-kubeconfig"
    result = run_cli("apply", str(bundle), "--kubeconfig", str(missing))
    assert result.code == 8, result.stderr
    assert "kubeconfig" in result.stderr


def test_missing_sops_key_after_the_cluster_answered_exits_8(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path, kubeconfig: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    no_key = {"SOPS_AGE_KEY_FILE": str(tmp_path / "absent-key.txt")}
    result = run_cli("apply", "--dry-run", str(bundle), "--kubeconfig", str(kubeconfig), env=no_key)
    assert result.code == 8, result.stdout + result.stderr


def test_drift_reports_and_counts_objects_that_left_the_bundle(
    run_cli: RunCli, tmp_path: Path, kubeconfig: Path
) -> None:
    cluster = ("--kubeconfig", str(kubeconfig))
    first = _repo(tmp_path / "first", ["keep", "gone"])
    bundle = tmp_path / "bundle-1"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=first).code == 0
    applied = run_cli("apply", str(bundle), *cluster, "--no-wait", cwd=first)
    assert applied.code == 0, applied.stdout + applied.stderr

    second = _repo(tmp_path / "second", ["keep"])
    smaller = tmp_path / "bundle-2"
    assert run_cli("bundle", "--env", "prod", "--output", str(smaller), cwd=second).code == 0
    report = tmp_path / "drift.json"
    drift = run_cli("drift", str(smaller), *cluster, "--report", str(report), cwd=second)
    assert drift.code == 7, drift.stdout + drift.stderr
    assert f"orphan     ConfigMap {NAMESPACE}/gone" in drift.stdout
    written = json.loads(report.read_text())
    assert written["summary"]["orphans"] == 1
    assert written["orphans"][0]["name"] == "gone"


def test_reconcile_exits_7_when_its_last_iteration_failed(
    run_cli: RunCli, tmp_path: Path, kubeconfig: Path
) -> None:
    """Every iteration returns a failed report (the cluster does not serve the kind)."""
    repo = _repo(tmp_path / "repo", ["keep"])
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    write_files(repo, {"app/widget.yaml": widget})
    (repo / "app/kustomization.yaml").write_text(
        "resources:\n  - namespace.yaml\n  - keep.yaml\n  - widget.yaml\n"
    )
    with (repo / "gitops-validator.yaml").open("a") as config:
        config.write("schema:\n  ignoreGroups: [example.com]\n")
    result = run_cli(
        "reconcile",
        "--env",
        "prod",
        "--interval",
        "0.01s",
        "--max-iterations",
        "2",
        "--kubeconfig",
        str(kubeconfig),
        "--no-wait",
        cwd=repo,
    )
    assert "failed     Widget" in result.stdout, result.stdout + result.stderr
    assert result.code == 7, result.stdout + result.stderr
