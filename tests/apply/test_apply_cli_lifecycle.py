"""The delivery commands end to end through the real CLI: bundle → apply → drift → correct.

The demo's prod environment is rendered with real kustomize, its SOPS Secret is decrypted by the
real resolver (real `sops`, the demo's test age key) in memory, and applied with the real
kubernetes client to a real kube-apiserver.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_harness import ClusterHarness
from support import PROJECT_ROOT, RunCli

TEST_KEY = PROJECT_ROOT / "tests" / "fixtures" / "demo-age-key.TEST-ONLY.txt"
NAMESPACE = "storefront-prod"


def _plaintext(demo_repo: Path) -> dict[str, str]:
    """What the demo's prod Secret holds, decrypted here only to know what must not leak."""
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "sops"),
            "--disable-version-check",
            "decrypt",
            "--output-type",
            "json",
            "secrets/prod/storefront-secrets.enc.yaml",
        ],
        cwd=demo_repo,
        env={"SOPS_AGE_KEY_FILE": str(TEST_KEY)},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout)["stringData"])


def test_bundle_apply_drift_and_correct(
    demo_repo: Path, run_cli: RunCli, cluster: ClusterHarness, kubeconfig: Path, tmp_path: Path
) -> None:
    cluster.create_namespace(NAMESPACE)
    rollout = cluster.mark_deployment_ready_when_applied("storefront", NAMESPACE, timeout=90)
    secrets = _plaintext(demo_repo)
    keys = {"SOPS_AGE_KEY_FILE": str(TEST_KEY), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    bundle = tmp_path / "bundle"
    outputs = [run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo)]
    assert outputs[-1].code == 0, outputs[-1].stderr

    target = ("--kubeconfig", str(kubeconfig))
    report = tmp_path / "apply.json"
    outputs.append(
        run_cli("apply", str(bundle), *target, "--report", str(report), cwd=demo_repo, env=keys)
    )
    assert outputs[-1].code == 0, outputs[-1].stdout + outputs[-1].stderr
    rollout.join(timeout=5)
    live = cluster.get("v1", "Secret", "storefront-secrets", NAMESPACE)
    assert {k: base64.b64decode(v).decode() for k, v in live["data"].items()} == secrets
    assert "last-applied-configuration" not in json.dumps(live)

    cluster.update_as(
        "kubectl-edit", "apps/v1", "Deployment", "storefront", NAMESPACE, spec__replicas=9
    )
    outputs.append(run_cli("drift", str(bundle), *target, cwd=demo_repo, env=keys))
    assert outputs[-1].code == 7, outputs[-1].stdout + outputs[-1].stderr
    assert "/spec/replicas: 9 -> 4 (last written by kubectl-edit)" in outputs[-1].stdout

    edited = cluster.get("apps/v1", "Deployment", "storefront", NAMESPACE)["metadata"]["generation"]
    rollout = cluster.mark_deployment_ready_when_applied(
        "storefront", NAMESPACE, timeout=90, generation_above=edited
    )
    outputs.append(run_cli("apply", str(bundle), *target, cwd=demo_repo, env=keys))
    rollout.join(timeout=5)
    assert outputs[-1].code == 0
    assert cluster.get("apps/v1", "Deployment", "storefront", NAMESPACE)["spec"]["replicas"] == 4
    outputs.append(run_cli("drift", str(bundle), *target, cwd=demo_repo, env=keys))
    assert outputs[-1].code == 0, outputs[-1].stdout

    files = [*bundle.rglob("*"), report, *(tmp_path / "tmp").rglob("*")]
    text = "".join(o.stdout + o.stderr for o in outputs)
    text += "".join(p.read_text(errors="replace") for p in files if p.is_file())
    for value in secrets.values():
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def test_tampered_bundle_is_refused_with_exit_6(
    demo_repo: Path, run_cli: RunCli, kubeconfig: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    target = next((bundle / "objects").glob("apps.deployment.*"))
    data = bytearray(target.read_bytes())
    data[-3] ^= 0x01
    target.write_bytes(bytes(data))
    result = run_cli("apply", str(bundle), "--kubeconfig", str(kubeconfig), cwd=demo_repo)
    assert result.code == 6, result.stdout + result.stderr


def test_bundle_is_refused_when_validation_blocks(make_repo, run_cli: RunCli, tmp_path) -> None:
    from support import three_environments

    files = three_environments()
    files["overlays/base/deployment.yaml"] = files["overlays/base/deployment.yaml"].replace(
        "image: nginx:1.27", "image: nginx:1.27\n          securityContext: {privileged: true}"
    )
    repo = make_repo(files)
    result = run_cli("bundle", "--env", "prod", "--output", str(tmp_path / "b"), cwd=repo)
    assert result.code == 1, result.stdout + result.stderr
    assert not (tmp_path / "b" / "bundle.json").exists()


@pytest.mark.parametrize("interval", ["0s", "soon"])
def test_reconcile_rejects_a_bad_interval(demo_repo: Path, run_cli: RunCli, interval: str) -> None:
    result = run_cli("reconcile", "--env", "prod", "--interval", interval, cwd=demo_repo)
    assert result.code == 2


def test_reconcile_loops_and_survives_failed_iterations(
    demo_repo: Path, run_cli: RunCli, cluster: ClusterHarness, kubeconfig: Path, tmp_path: Path
) -> None:
    cluster.create_namespace(NAMESPACE)
    loop = ("reconcile", "--env", "prod", "--interval", "0.1s", "--max-iterations", "2")
    target = ("--kubeconfig", str(kubeconfig), "--no-wait")
    home = {"HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": ""}  # no key: every iteration fails
    failing = run_cli(*loop, *target, cwd=demo_repo, env=home)
    assert failing.code == 7
    assert failing.stderr.count("gitops-validator: reconcile iteration") == 2, failing.stderr
    assert "Traceback" not in failing.stderr
    working = run_cli(*loop, *target, cwd=demo_repo, env={"SOPS_AGE_KEY_FILE": str(TEST_KEY)})
    assert working.code == 0, working.stdout + working.stderr
    assert "[1] created" in working.stdout and "[2] unchanged" in working.stdout
    output = failing.stdout + failing.stderr + working.stdout + working.stderr
    for value in _plaintext(demo_repo).values():
        assert value not in output
        assert base64.b64encode(value.encode()).decode() not in output


def test_a_plaintext_secret_never_ships_even_with_fail_on_never(
    make_repo, run_cli: RunCli, tmp_path: Path
) -> None:
    from support import three_environments

    canary = "canary-bundle-42xq"
    files = three_environments()
    files["overlays/prod/kustomization.yaml"] += (
        f"secretGenerator:\n  - name: db\n    literals: [PASSWORD={canary}]\n"
    )
    repo = make_repo(files)
    out = tmp_path / "bundle"
    env = {"GITOPS_VALIDATOR_FAIL_ON": "never"}
    result = run_cli("bundle", "--env", "prod", "--output", str(out), cwd=repo, env=env)
    assert result.code == 1, result.stdout + result.stderr
    leftovers = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert not any(base64.b64encode(canary.encode()).decode() in p.read_text() for p in leftovers)
