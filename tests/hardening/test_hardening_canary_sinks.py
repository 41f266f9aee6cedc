"""The masking boundary: canaries planted where kustomize and Helm quote them in their errors
never reach any output format, the compliance report or the logs (issue 10, item 1)."""

from __future__ import annotations

from pathlib import Path

from canary_support import assert_clean, report_args
from support import RunCli

KUSTOMIZE_CANARY = "canary-kustomize-dump-91ab2c"
HELM_CANARY = "canary-helm-fail-5e77d0"
PLAINTEXT_CANARY = "canary-plaintext-secret-3c4d"
SOURCE_CANARY = "canary-source-secret-a7e1"


def _repo(root: Path) -> Path:
    nested = "{" * 40 + f"{KUSTOMIZE_CANARY}: x" + "}" * 40
    files = {
        "gitops-validator.yaml": (
            "environments:\n"
            "  dump: {path: dump}\n"
            "  plain: {path: plain}\n"
            "  chart: {helm: {chart: chart, values: [chart/values.yaml]}}\n"
        ),
        # A flow mapping used as a key: kustomize fails and dumps the Go map, key included.
        "dump/kustomization.yaml": "resources:\n  - secret.yaml\n",
        "dump/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: dumped\n"
            f"stringData:\n  password: {SOURCE_CANARY}\n  broken: {nested}\n"
        ),
        "plain/kustomization.yaml": "resources:\n  - secret.yaml\n",
        "plain/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n"
            f"stringData:\n  password: {PLAINTEXT_CANARY}\n"
        ),
        "chart/Chart.yaml": "apiVersion: v2\nname: failing\nversion: 0.1.0\n",
        "chart/values.yaml": f"password: {HELM_CANARY}\n",
        "chart/templates/fail.yaml": '{{ fail (printf "refusing %s" .Values.password) }}\n',
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _everything_written(directory: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file())


def test_no_canary_reaches_any_format_report_or_log(
    make_repo, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    repo = _repo(make_repo({}))
    out = tmp_path / "out"
    out.mkdir()
    summary = out / "step-summary.md"
    formats = ["text", "json", "sarif", "junit", "github", "markdown"]
    args = [arg for name in formats for arg in ("--format", f"{name}={out / name}")]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"GITHUB_STEP_SUMMARY": str(summary), "TMPDIR": str(scratch)}
    validated = run_cli("-vv", "validate", *args, cwd=repo, env=env)
    assert validated.code == 1, validated.stderr
    reported = run_cli("-vv", "report", "--output", str(out / "compliance"), cwd=repo, env=env)
    assert reported.code == 0, reported.stderr
    rendered = run_cli("-vv", "render", cwd=repo, env=env)
    bundles = tmp_path / "bundles"
    bundled = [
        run_cli("bundle", "--env", name, "--output", str(bundles / name), cwd=repo, env=env)
        for name in ("dump", "chart")
    ]
    assert [b.code for b in bundled] == [1, 1]  # README: blocking findings, nothing packed

    written = _everything_written(out)
    for name in formats:
        assert (out / name).stat().st_size > 0, name
    assert summary.is_file() and (out / "compliance" / "report.html").is_file()
    # The failures really happened: the tools' errors are in the outputs, masked.
    assert "render-failed" in written
    assert "refusing ***" in written or "refusing" in written
    streams = "".join(r.stdout + r.stderr for r in (validated, reported, rendered, *bundled))
    cache = _everything_written(cache_dir) if cache_dir.exists() else ""
    for canary in (KUSTOMIZE_CANARY, HELM_CANARY, PLAINTEXT_CANARY, SOURCE_CANARY):
        assert canary not in written, canary
        assert canary not in streams, canary
        assert canary not in cache, canary
    canaries = (KUSTOMIZE_CANARY, HELM_CANARY, PLAINTEXT_CANARY, SOURCE_CANARY)
    assert_clean(canaries, {"streams": streams}, [out, cache_dir, scratch, bundles])  # + base64
    assert list(scratch.iterdir()) == []


def test_a_secret_nested_thousands_deep_never_reaches_kustomize_or_any_output(
    make_repo, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    """Item 1 as reported: the refused file was still handed to kustomize, whose error echoed
    the whole object into every format, the step summary and the compliance report."""
    canary = "canary-deep-nested-secret-2b7a"
    nested = "{k: " * 3000 + canary + "}" * 3000
    repo = make_repo(
        {
            "gitops-validator.yaml": "environments:\n  prod: {path: prod}\n",
            "prod/kustomization.yaml": "resources:\n  - secret.yaml\n",
            "prod/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: deep\n"
                f"stringData:\n  password: {canary}\n  deep: {nested}\n"
            ),
        }
    )
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    scratch.mkdir()
    env = {"GITHUB_STEP_SUMMARY": str(out / "summary.md"), "TMPDIR": str(scratch)}
    validated = run_cli("-vv", "validate", *report_args(out), cwd=repo, env=env)
    reported = run_cli("report", "--output", str(out / "compliance"), cwd=repo, env=env)
    assert validated.code == 1, validated.stderr
    assert reported.code == 0, reported.stderr
    written = _everything_written(out)
    assert "prod/secret.yaml was refused" in written and "yaml-invalid" in written
    assert "kustomize" not in validated.stderr.lower()  # never handed to it
    streams = {"validate": validated.stdout + validated.stderr, "report": reported.stderr}
    assert_clean([canary], streams, [out, cache_dir, scratch])
