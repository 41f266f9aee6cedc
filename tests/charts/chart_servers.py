"""Real chart sources on loopback: a threaded HTTP chart repository and Debian's docker-registry.

Charts are written by the tests, packaged with the Helm SDK (`helm package`) and indexed with
`helm repo index`; OCI charts are pushed to the registry with the Helm SDK's `helm push`.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

REGISTRY_BINARY = "docker-registry"
START_TIMEOUT_SECONDS = 15.0

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
spec:
  selector:
    matchLabels: {app: {{ .Chart.Name }}}
  template:
    metadata:
      labels: {app: {{ .Chart.Name }}}
    spec:
      containers:
        - name: app
          image: "nginx:1.27"
          securityContext:
            privileged: {{ .Values.privileged | default false }}
"""


def make_chart(
    root: Path,
    name: str,
    version: str,
    *,
    dependencies: list[dict[str, Any]] | None = None,
    templates: dict[str, str] | None = None,
) -> Path:
    chart = root / f"{name}-{version}-src" / name
    (chart / "templates").mkdir(parents=True)
    metadata: dict[str, Any] = {"apiVersion": "v2", "name": name, "version": version}
    if dependencies:
        metadata["dependencies"] = dependencies
    (chart / "Chart.yaml").write_text(yaml.safe_dump(metadata), encoding="utf-8")
    (chart / "values.yaml").write_text("privileged: false\n", encoding="utf-8")
    for file, text in (templates or {"deployment.yaml": DEPLOYMENT}).items():
        (chart / "templates" / file).write_text(text, encoding="utf-8")
    return chart


def package(chart: Path, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    return Path(helm_python.package(chart, destination=destination))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]


class HttpChartRepository:
    """`directory` served on 127.0.0.1; `requests` records every path asked for."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.requests = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/charts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def requests(self) -> list[str]:
        return self._server.requests  # type: ignore[attr-defined, no-any-return]

    def add(self, chart: Path) -> Path:
        archive = package(chart, self.directory / "charts")
        helm_python.repo_index_generate(self.directory / "charts")
        return archive

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OciRegistry:
    """docker-registry (the CNCF distribution registry) on 127.0.0.1 with storage in `root`."""

    def __init__(self, root: Path, auth: dict[str, Any] | None = None) -> None:
        binary = shutil.which(REGISTRY_BINARY)
        if binary is None:
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        self.port = free_port()
        config = root / "config.yml"
        settings: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
            "http": {"addr": f"127.0.0.1:{self.port}"},
        }
        if auth:
            settings["auth"] = auth
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        self._log = (root / "registry.log").open("wb")
        self._process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=self._log, stderr=subprocess.STDOUT
        )
        self.host = f"127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"docker-registry exited with {self._process.returncode}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # 401: up, and asking for a token
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not answer within the timeout")

    def push(self, chart: Path, scratch: Path, path: str = "charts") -> str:
        archive = package(chart, scratch)
        helm_python.push(archive, f"oci://{self.host}/{path}", plain_http=True)
        return f"oci://{self.host}/{path}"

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._log.close()


# Fixtures for the test directories that serve charts (tests/charts, tests/flux): their
# conftest.py files import these, so both get the same servers, stopped after each test.
@pytest.fixture
def chart_repo(tmp_path: Path) -> Iterator[HttpChartRepository]:
    repository = HttpChartRepository(tmp_path / "http-repo")
    yield repository
    repository.stop()


@pytest.fixture
def oci_registry(tmp_path: Path) -> Iterator[OciRegistry]:
    registry_root = tmp_path / "registry"
    registry_root.mkdir()
    registry = OciRegistry(registry_root)
    yield registry
    registry.stop()
