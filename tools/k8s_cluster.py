"""A throw-away Kubernetes control plane on loopback: etcd + kube-apiserver, nothing else.

Used by the apply tests (a pytest session fixture) and by `make cluster-up`/`cluster-down`.
The binaries are the ones tools/build-k8s-tools.sh built. Everything lives in one directory:
etcd's data, a CA and serving certificate for 127.0.0.1, the service-account signing key, a
static token file (one user in system:masters), an audit log of every request, the servers'
logs and a kubeconfig. No kube-controller-manager runs (see README "A real API server"), so
Deployments never roll out and deleted Namespaces stay Terminating.

    python tools/k8s_cluster.py up DIR [NAMESPACE...]   start in the background, create the
                                                        namespaces, print the kubeconfig path
    python tools/k8s_cluster.py down DIR   stop what `up DIR` started
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
USER = "gitops-validator-tester"  # the tool's user, in the kubeconfig
HARNESS_USER = "test-harness"  # the tests acting as other users and controllers: not audited
START_TIMEOUT_SECONDS = 180.0  # a cold apiserver on two busy shared cores needs tens of seconds
STOP_TIMEOUT_SECONDS = 15.0

# Only requests (RequestReceived stage, written before the request is served in the log
# backend's blocking mode) at Metadata level: tests read from it what the tool sent.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["ResponseStarted", "ResponseComplete", "Panic"],
    "rules": [{"level": "Metadata", "users": [USER]}, {"level": "None"}],
}


class ClusterError(RuntimeError):
    pass


def tool_paths() -> dict[str, Path]:
    """The built binaries, as tools/build-k8s-tools.sh --check names them; ClusterError if any
    is missing (the message says how to build them)."""
    done = subprocess.run(
        ["bash", str(HERE / "build-k8s-tools.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    paths = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    if done.returncode != 0:
        raise ClusterError(
            f"{done.stderr.strip()}: run tools/build-k8s-tools.sh (needs Go) to build them"
        )
    return {name: Path(path) for name, path in paths.items()}


@dataclass
class Cluster:
    directory: Path
    url: str
    token: str
    harness_token: str
    kubeconfig: Path
    processes: list[subprocess.Popen[bytes]]

    @property
    def ca_file(self) -> Path:
        return self.directory / "pki" / "ca.crt"

    @property
    def audit_log(self) -> Path:
        return self.directory / "audit.log"

    def stop(self) -> None:
        for process in reversed(self.processes):  # the apiserver before its etcd
            _terminate(process.pid, process)


def start(directory: Path, *, detach: bool = False) -> Cluster:
    """Start etcd and kube-apiserver under `directory`; returns once /readyz answers ok."""
    paths = tool_paths()
    directory.mkdir(parents=True, exist_ok=True)
    token, harness_token = secrets.token_hex(24), secrets.token_hex(24)
    _write_pki(directory / "pki")
    (directory / "tokens.csv").write_text(
        f'{token},{USER},{USER},"system:masters"\n'
        f'{harness_token},{HARNESS_USER},{HARNESS_USER},"system:masters"\n'
    )
    (directory / "tokens.csv").chmod(0o600)
    (directory / "audit-policy.json").write_text(json.dumps(AUDIT_POLICY))
    client_port, peer_port, api_port = _free_ports(3)
    etcd = _spawn(paths["etcd"], _etcd_args(directory, client_port, peer_port), directory, detach)
    processes = [etcd]
    try:
        apiserver_args = _apiserver_args(directory, client_port, api_port)
        processes.append(_spawn(paths["kube-apiserver"], apiserver_args, directory, detach))
        url = f"https://127.0.0.1:{api_port}"
        cluster = Cluster(directory, url, token, harness_token, directory / "kubeconfig", processes)
        _write_kubeconfig(cluster)
        _wait_ready(cluster)
    except BaseException:
        for process in reversed(processes):
            _terminate(process.pid, process)
        raise
    (directory / "pids").write_text(" ".join(str(p.pid) for p in processes))
    return cluster


def _etcd_args(directory: Path, client_port: int, peer_port: int) -> list[str]:
    client, peer = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
    return [
        f"--data-dir={directory / 'etcd'}",
        "--name=test",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=test={peer}",
        "--unsafe-no-fsync",  # throw-away data: durability costs time and nothing else
        "--log-level=warn",
    ]


def _apiserver_args(directory: Path, etcd_port: int, port: int) -> list[str]:
    pki = directory / "pki"
    return [
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        f"--cert-dir={pki}",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--token-auth-file={directory / 'tokens.csv'}",
        "--authorization-mode=RBAC",
        f"--service-account-key-file={pki / 'sa.key'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-cluster-ip-range=10.0.0.0/24",  # allocated in etcd only, never routed
        # The default admission chain (NamespaceLifecycle, LimitRanger, ResourceQuota, webhooks,
        # ValidatingAdmissionPolicy...) except ServiceAccount: no token controller runs, and the
        # tests create no Pods, so it could only reject what a real cluster would accept.
        "--disable-admission-plugins=ServiceAccount",
        f"--audit-policy-file={directory / 'audit-policy.json'}",
        f"--audit-log-path={directory / 'audit.log'}",
        "--audit-log-mode=blocking",
        "--endpoint-reconciler-type=none",  # no kubelet or controllers to publish endpoints for
        "--profiling=false",
    ]


def _spawn(binary: Path, args: list[str], directory: Path, detach: bool) -> subprocess.Popen[bytes]:
    with (directory / f"{binary.name}.log").open("ab") as log:  # the child keeps its copy
        return subprocess.Popen(
            [str(binary), *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=detach,  # `make cluster-up` returns while the servers keep running
        )


def _write_pki(pki: Path) -> None:
    """A CA, a serving certificate for 127.0.0.1/localhost, and the service-account key."""
    pki.mkdir(parents=True, exist_ok=True)
    ca, key = pki / "ca", pki / "apiserver"
    steps = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=test-ca",
         "-keyout", f"{ca}.key", "-out", f"{ca}.crt"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
         "-keyout", f"{key}.key", "-out", f"{key}.csr"],
        ["x509", "-req", "-in", f"{key}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-days", "30", "-out", f"{key}.crt", "-extfile", f"{key}.ext"],
        ["genrsa", "-out", str(pki / "sa.key"), "2048"],
    ]  # fmt: skip
    (pki / "apiserver.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for step in steps:
        done = subprocess.run(["openssl", *step], capture_output=True, timeout=60, check=False)
        if done.returncode != 0:
            raise ClusterError(f"openssl {step[0]} failed: {done.stderr.decode()[-300:]}")


def _write_kubeconfig(cluster: Cluster) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "local",
                "cluster": {"server": cluster.url, "certificate-authority": str(cluster.ca_file)},
            }
        ],
        "users": [{"name": USER, "user": {"token": cluster.token}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": USER}}],
        "current-context": "local",
    }
    cluster.kubeconfig.write_text(json.dumps(config, indent=2))
    cluster.kubeconfig.chmod(0o600)


def _wait_ready(cluster: Cluster) -> None:
    """Poll /readyz, then the `default` Namespace (created by the apiserver's own bootstrap)."""
    context = ssl.create_default_context(cafile=str(cluster.ca_file))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last = "no answer yet"
    for path in ("/readyz", "/api/v1/namespaces/default"):
        while True:
            for process in cluster.processes:
                if process.poll() is not None:
                    raise ClusterError(
                        f"{process.args[0]} exited with {process.returncode}; "
                        f"see the logs in {cluster.directory}"
                    )
            request = urllib.request.Request(
                cluster.url + path, headers={"Authorization": f"Bearer {cluster.token}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5, context=context) as answer:
                    if answer.status == 200:
                        break
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
                error.close()
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"the apiserver was not ready after {START_TIMEOUT_SECONDS}s "
                    f"({path}: {last}); see the logs in {cluster.directory}"
                )
            time.sleep(0.5)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _terminate(pid: int, process: subprocess.Popen[bytes] | None = None) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return
        elif not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if process is not None:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def down(directory: Path) -> None:
    pids = directory / "pids"
    if not pids.exists():
        print(f"no cluster recorded in {directory}")
        return
    for pid in reversed([int(p) for p in pids.read_text().split()]):
        _terminate(pid)
    shutil.rmtree(directory)  # throw-away: the next `up` starts from an empty etcd
    print(f"stopped the cluster and removed {directory}")


def create_namespace(cluster: Cluster, name: str) -> None:
    """For the demo: its overlays set a namespace but do not create it."""
    body = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    request = urllib.request.Request(
        cluster.url + "/api/v1/namespaces",
        body.encode(),
        {"Authorization": f"Bearer {cluster.harness_token}", "Content-Type": "application/json"},
        method="POST",
    )
    context = ssl.create_default_context(cafile=str(cluster.ca_file))
    try:
        with urllib.request.urlopen(request, timeout=10, context=context):
            pass
    except urllib.error.HTTPError as error:
        error.close()
        if error.code != 409:  # 409: it exists already
            raise ClusterError(f"creating namespace {name}: HTTP {error.code}") from None


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] not in ("up", "down"):
        print(__doc__, file=sys.stderr)
        return 2
    directory = Path(argv[2]).resolve()
    if argv[1] == "down":
        down(directory)
        return 0
    if (directory / "pids").exists():
        print(f"a cluster is already recorded in {directory}; run `make cluster-down` first")
        return 1
    try:
        cluster = start(directory, detach=True)
    except ClusterError as error:
        print(f"cluster-up: {error}", file=sys.stderr)
        return 1
    try:
        for name in argv[3:]:
            create_namespace(cluster, name)
    except ClusterError as error:
        print(f"cluster-up: {error}", file=sys.stderr)
        return 1
    print(f"API server {cluster.url} is ready; kubeconfig: {cluster.kubeconfig}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
