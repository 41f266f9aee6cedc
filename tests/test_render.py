"""Rendering through the real kustomize and the real Helm SDK, driven by the real CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from support import RunCli, deployment, three_environments


def _json(result) -> dict:
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_broken_environment_is_a_finding_and_others_still_validate(make_repo, run_cli) -> None:
    repo = make_repo(three_environments(broken="staging"))
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1
    document = _json(result)
    counts = {env["name"]: env["resources"] for env in document["environments"]}
    assert counts == {"dev": 1, "staging": 0, "prod": 1}
    [finding] = document["findings"]
    assert finding["ruleId"] == "render-failed"
    assert finding["environment"] == "staging"
    assert finding["location"] == {
        "file": "overlays/staging/kustomization.yaml",
        "line": 4,  # the `- missing.yaml` entry (issue 11)
        "column": 1,
    }
    assert "missing.yaml" in finding["message"]
    assert "/tmp/" not in finding["message"]  # no scratch paths leak into the message


def test_missing_kustomize_and_kubectl_exits_4(make_repo, run_cli, tmp_path: Path) -> None:
    repo = make_repo(three_environments())
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    no_tools = {"PATH": str(empty_bin), "GITOPS_VALIDATOR_TOOLS_DIR": str(empty_bin)}
    result = run_cli("validate", cwd=repo, env=no_tools)
    assert result.code == 4
    assert "neither kustomize nor kubectl was found on PATH" in result.stderr
    assert "install kubectl" in result.stderr
    assert "Traceback" not in result.stderr


def test_helm_environment_renders_in_process(make_repo, run_cli, tmp_path: Path) -> None:
    repo = make_repo(
        _chart_files("charts/web")
        | {
            "values-prod.yaml": "replicas: 3\n",
            "gitops-validator.yaml": (
                "environments:\n"
                "  web-prod:\n"
                "    kubernetesVersion: '1.31'\n"
                "    helm: {chart: charts/web, values: [values-prod.yaml],\n"
                "           release: shop, namespace: web}\n"
            ),
        }
    )
    empty_bin = tmp_path / "no-tools"
    empty_bin.mkdir()  # neither helm nor kubectl is needed for a Helm environment
    result = run_cli("render", "--env", "web-prod", cwd=repo, env={"PATH": str(empty_bin)})
    assert result.code == 0, result.stderr
    assert "name: shop-web" in result.stdout
    assert "replicas: 3" in result.stdout
    assert "kube: v1.31.0" in result.stdout  # the environment's Kubernetes version reaches Helm


def test_kustomization_with_helm_charts_needs_no_helm_binary(make_repo, run_cli) -> None:
    files = _chart_files("overlays/dev/charts/web") | {
        "overlays/dev/kustomization.yaml": (
            "helmCharts:\n"
            "  - name: web\n"
            "    releaseName: shop\n"
            "    namespace: web\n"
            "    valuesInline: {replicas: 2}\n"
        ),
        "gitops-validator.yaml": "environments:\n  dev: {path: overlays/dev}\n",
    }
    repo = make_repo(files)
    assert shutil.which("helm") is None or True  # the shim is used whether or not helm exists
    result = run_cli("render", cwd=repo)
    assert result.code == 0, result.stderr
    assert "name: shop-web" in result.stdout
    assert "replicas: 2" in result.stdout
    assert "gitops-validator.dev/helm-template" not in result.stdout
    assert "config.kubernetes.io/origin" not in result.stdout


def test_second_run_uses_the_cache_and_a_change_invalidates_one_environment(
    make_repo, run_cli
) -> None:
    files = three_environments()
    files["overlays/dev/patch.yaml"] = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"
    )
    files["overlays/dev/kustomization.yaml"] += "patches:\n  - path: patch.yaml\n"
    repo = make_repo(files)
    cold = run_cli("-v", "validate", cwd=repo)
    assert cold.code == 0, cold.stderr
    assert cold.stderr.count("running ") == 3
    warm = run_cli("-v", "validate", cwd=repo)
    assert warm.code == 0
    assert "running " not in warm.stderr
    assert warm.stderr.count("render cache hit, kustomize and Helm skipped") == 3
    assert warm.stdout == cold.stdout  # text output is stable: nothing about the cache in it

    (repo / "overlays/dev/patch.yaml").write_text(
        (repo / "overlays/dev/patch.yaml").read_text().replace("replicas: 2", "replicas: 5")
    )
    changed = run_cli("-v", "validate", cwd=repo)
    assert "dev: running" in changed.stderr
    assert changed.stderr.count("running ") == 1
    (repo / "overlays/base/deployment.yaml").write_text(deployment("web", image="nginx:1.28"))
    base_changed = run_cli("-v", "validate", cwd=repo)
    assert base_changed.stderr.count("running ") == 3

    bypass = run_cli("-v", "validate", "--no-cache", cwd=repo)
    assert bypass.stderr.count("running ") == 3


def test_cache_never_stores_plaintext_secret_values(make_repo, run_cli, cache_dir: Path) -> None:
    canary = "canary-plaintext-7f3a91"
    files = three_environments()
    files["overlays/dev/kustomization.yaml"] += (
        f"secretGenerator:\n  - name: db\n    literals: [password={canary}]\n"
    )
    repo = make_repo(files)
    for _ in range(2):
        result = run_cli("-v", "validate", cwd=repo)
        assert canary not in result.stdout + result.stderr
    assert "dev: running" in result.stderr  # never cached, so rendered again
    cached_text = "".join(p.read_text() for p in cache_dir.rglob("*") if p.is_file())
    assert canary not in cached_text
    import base64

    assert base64.b64encode(canary.encode()).decode() not in cached_text


def test_render_masks_secret_values(make_repo, run_cli, tmp_path: Path) -> None:
    canary = "canary-render-55e1"
    files = three_environments()
    files["overlays/prod/kustomization.yaml"] += (
        f"secretGenerator:\n  - name: api\n    literals: [token={canary}]\n"
    )
    repo = make_repo(files)
    result = run_cli("render", "--env", "prod", cwd=repo)
    assert result.code == 0, result.stderr
    assert canary not in result.stdout
    assert 'token: "**masked**"' in result.stdout
    out = tmp_path / "rendered"
    to_dir = run_cli("render", "--output", str(out), cwd=repo)
    assert to_dir.code == 0
    assert sorted(p.name for p in out.iterdir()) == ["dev.yaml", "prod.yaml", "staging.yaml"]
    assert canary not in (out / "prod.yaml").read_text()


def test_environments_outside_the_repository_are_refused(make_repo, run_cli, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: [d.yaml]\n")
    (outside / "d.yaml").write_text(deployment("stolen"))
    files = three_environments()
    repo = make_repo(files)
    os.symlink(outside, repo / "overlays/dev/linked")
    (repo / "overlays/dev/kustomization.yaml").write_text("resources:\n  - ../base\n  - linked\n")
    result = run_cli("validate", "--format", "json", cwd=repo)
    document = _json(result)
    [finding] = document["findings"]
    assert finding["ruleId"] == "render-failed"
    assert "outside the repository" in finding["message"]


def _chart_files(chart: str) -> dict[str, str]:
    return {
        f"{chart}/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        f"{chart}/values.yaml": "replicas: 1\nimage: nginx:1.27\n",
        f"{chart}/templates/deployment.yaml": (
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "metadata:\n"
            "  name: {{ .Release.Name }}-web\n"
            "  labels:\n"
            "    kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
            "spec:\n"
            "  replicas: {{ .Values.replicas }}\n"
            "  selector: {matchLabels: {app: web}}\n"
            "  template:\n"
            "    metadata: {labels: {app: web}}\n"
            "    spec:\n"
            "      containers:\n"
            "        - name: web\n"
            "          image: {{ .Values.image }}\n"
        ),
        f"{chart}/templates/NOTES.txt": "Installed {{ .Release.Name }}\n",
    }


def test_render_errors_never_quote_values(make_repo, run_cli: RunCli) -> None:
    canary_values, canary_literal = "canary-values-4411", "canary-literal-9d0e"
    files = _chart_files("charts/web") | {
        "values-prod.yaml": f"dbPassword: {canary_values}: broken\n",
        "gitops-validator.yaml": (
            "environments:\n"
            "  web: {helm: {chart: charts/web, values: [values-prod.yaml]}}\n"
            "  dev: {path: overlays/dev}\n"
        ),
        "overlays/dev/kustomization.yaml": (
            f"secretGenerator:\n  - name: s\n    literals: [PASSWORD:{canary_literal}]\n"
        ),
    }
    result = run_cli("validate", "--format", "json", cwd=make_repo(files))
    assert result.code == 1, result.stderr
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    assert len([m for m in messages if "cannot render environment" in m]) == 2, messages
    assert canary_values not in result.stdout + result.stderr
    assert canary_literal not in result.stdout + result.stderr


def test_missing_environment_directory_is_a_render_finding(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += "  qa: {path: overlays/qa}\n"
    result = run_cli("validate", "--format", "json", cwd=make_repo(files))
    assert result.code == 1, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["ruleId"] == "render-failed" and finding["environment"] == "qa"


def test_transformer_configs_are_never_served_from_the_cache(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["overlays/dev/kustomization.yaml"] += "transformers:\n  - labeller.yaml\n"
    files["overlays/dev/labeller.yaml"] = (
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: p.yaml\n"
        "target: {kind: Deployment}\n"
    )
    files["overlays/dev/p.yaml"] = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {mark: one}}\n"
    )
    repo = make_repo(files)
    assert run_cli("validate", cwd=repo).code == 0
    (repo / "overlays/dev/p.yaml").write_text(files["overlays/dev/p.yaml"].replace("one", "two"))
    rendered = run_cli("render", "--env", "dev", cwd=repo)
    assert "mark: two" in rendered.stdout


def test_undecodable_env_file_is_not_echoed(make_repo, run_cli: RunCli) -> None:
    files: dict[str, str | bytes] = dict(three_environments())
    files["overlays/dev/kustomization.yaml"] += "secretGenerator:\n  - name: s\n    envs: [x.env]\n"
    files["overlays/dev/x.env"] = b"PASS=CANARY\xff\n"
    result = run_cli("validate", cwd=make_repo(files))
    assert result.code == 1
    assert "CANARY" not in result.stdout + result.stderr
    assert "80 65 83 83" not in result.stdout  # nor as the bytes kustomize prints
