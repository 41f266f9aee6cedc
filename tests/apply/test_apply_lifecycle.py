"""Lifecycle of the demo's prod environment: bundle → apply → drift → correct → prune (+ guards).

Rendered with the project-built kustomize, bundled and verified for real, applied with the
real kubernetes client to a real kube-apiserver; the SOPS values are "decrypted" by
the resolver TEST DOUBLE into canary plaintext that only the live Secret may hold.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from apply_support import CANARY, fast, resolve_with_test_plaintext
from cluster_harness import ClusterHarness

from validator.apply import ApplyReport, KubeClient, apply_resources, detect_drift
from validator.bundle import BundleVerificationError, build_bundle, verify_bundle
from validator.model import RenderedEnvironment, Resource, ResourceRef
from validator.outcome import ValidationReport
from validator.render import find_kustomize

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "storefront-prod"


@pytest.fixture(scope="module")
def prod_bodies() -> list[dict[str, Any]]:
    rendered = subprocess.run(
        [*find_kustomize().command, str(PROJECT_ROOT / "overlays" / "prod")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    documents = yaml_rs.loads("null\n---\n" + rendered, parse_datetime=False)
    return [doc for doc in documents if doc]


def _bundle(tmp_path: Path, name: str, bodies: list[dict[str, Any]]) -> Path:
    resources = tuple(Resource(ResourceRef.of(b), b, "prod") for b in bodies)
    env = RenderedEnvironment("prod", "1.32", resources)
    report = ValidationReport(environments=(env,), findings=())
    build_bundle(env, report, tmp_path / name, git_revision="deadbeef", config_digest="sha256:c")
    return tmp_path / name


def _run(kube: KubeClient, bundle: Path, *, drift: bool = False, **options: Any) -> ApplyReport:
    verified = verify_bundle(bundle)
    run = detect_drift if drift else apply_resources
    return run(
        verified.resources,
        environment=verified.environment,
        client=kube,
        resolve=resolve_with_test_plaintext,
        options=fast(**options),
        revision=verified.digest,
    )


def test_apply_lifecycle_of_the_demo_prod_environment(
    cluster: ClusterHarness, kube: KubeClient, tmp_path: Path, prod_bodies: list[dict[str, Any]]
) -> None:
    cluster.create_namespace(NAMESPACE)
    rollout = cluster.mark_deployment_ready_when_applied("storefront", NAMESPACE)
    kinds = [b["kind"] for b in prod_bodies]
    assert "Secret" in kinds and "Deployment" in kinds
    full = _bundle(tmp_path, "full", prod_bodies)
    assert not any(v in p.read_text() for p in full.rglob("*.json") for v in CANARY.values())

    applied = _run(kube, full, wait_for_health=True)
    assert not applied.failed, json.dumps(applied.to_json(), indent=1)
    rollout.join(timeout=5)
    fresh = _run(kube, full, drift=True)  # the server's defaults are not drift
    assert not fresh.drifted and not fresh.failed, json.dumps(fresh.to_json(), indent=1)
    assert applied.revision and applied.revision.startswith("sha256:")
    secret = cluster.get("v1", "Secret", "storefront-secrets", NAMESPACE)
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == CANARY

    cluster.update_as(
        "kubectl-edit", "v1", "ConfigMap", "storefront-config", NAMESPACE, data__LOG_LEVEL="trace"
    )
    drift = _run(kube, full, drift=True)
    assert drift.drift_remains  # the CLI's exit 7
    [result] = drift.drifted
    [entry] = result.drift
    assert (entry.path, entry.after, entry.manager) == ("/data/LOG_LEVEL", "info", "kubectl-edit")
    assert entry.before == "trace"

    corrected = _run(kube, full)
    assert [o.ref.name for o in corrected.drifted] == ["storefront-config"]
    assert not _run(kube, full, drift=True).drift_remains

    without_pdb = [b for b in prod_bodies if b["kind"] != "PodDisruptionBudget"]
    pruned = _run(kube, _bundle(tmp_path, "no-pdb", without_pdb), prune=True)
    assert [r.kind for r in pruned.prune.deleted] == ["PodDisruptionBudget"]
    assert cluster.get("policy/v1", "PodDisruptionBudget", "storefront", NAMESPACE) is None

    empty = _run(kube, _bundle(tmp_path, "empty", []), prune=True)
    assert empty.prune.deleted == () and empty.prune.refused
    assert cluster.get("apps/v1", "Deployment", "storefront", NAMESPACE) is not None

    two_fewer = [b for b in without_pdb if b["kind"] not in ("Ingress", "NetworkPolicy")]
    budget = _run(kube, _bundle(tmp_path, "two-fewer", two_fewer), prune=True, max_deletions=1)
    assert budget.failed and budget.prune.aborted and budget.prune.deleted == ()
    assert cluster.get("networking.k8s.io/v1", "Ingress", "storefront", NAMESPACE) is not None

    reports = [applied, drift, corrected, pruned, empty, budget]
    text = json.dumps([r.to_json() for r in reports])
    for value in CANARY.values():
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def test_apply_refuses_a_bundle_with_one_changed_byte(
    tmp_path: Path, prod_bodies: list[dict[str, Any]]
) -> None:
    bundle = _bundle(tmp_path, "full", prod_bodies)
    target = bundle / "objects" / "apps.deployment.storefront-prod.storefront.json"
    data = bytearray(target.read_bytes())
    data[-3] ^= 0x01
    target.write_bytes(bytes(data))

    with pytest.raises(BundleVerificationError, match="modified"):
        verify_bundle(bundle)
