"""Fixtures of the apply-stage tests: a real kube-apiserver + etcd on loopback for the session.

The binaries come from tools/build-k8s-tools.sh (`make test` runs it first). Without them the
tests that need a cluster skip with the reason, except in CI, where that is a failure: CI must
prove the apply stage against the real server. Every test starts from the cluster as it was
after start-up (`ClusterHarness.reset`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_harness import ClusterHarness
from support import PROJECT_ROOT

from validator.apply import KubeClient

sys.path.insert(0, str(PROJECT_ROOT / "tools"))
import k8s_cluster


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[k8s_cluster.Cluster]:
    try:
        k8s_cluster.tool_paths()
    except k8s_cluster.ClusterError as error:
        if _in_ci():
            pytest.fail(f"CI needs the real API server: {error}", pytrace=False)
        pytest.skip(f"no kube-apiserver/etcd built: {error}")
    cluster = k8s_cluster.start(tmp_path_factory.mktemp("cluster"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def _session_harness(real_cluster: k8s_cluster.Cluster) -> ClusterHarness:
    harness = ClusterHarness(
        real_cluster.url, real_cluster.ca_file, real_cluster.harness_token, real_cluster.audit_log
    )
    harness.snapshot()
    return harness


@pytest.fixture
def cluster(_session_harness: ClusterHarness) -> ClusterHarness:
    """The real API server, reset to how it started, with the harness to act on it."""
    _session_harness.reset()
    return _session_harness


@pytest.fixture
def kubeconfig(cluster: ClusterHarness, real_cluster: k8s_cluster.Cluster) -> Path:
    return real_cluster.kubeconfig


@pytest.fixture
def kube(kubeconfig: Path) -> Iterator[KubeClient]:
    with KubeClient.from_kubeconfig(kubeconfig) as client:
        yield client
