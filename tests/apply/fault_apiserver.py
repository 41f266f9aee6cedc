"""TEST DOUBLE: `FaultApiServer`, an HTTP server on 127.0.0.1 that fails the way a real
kube-apiserver cannot be made to on demand: an internal error (500) with a body that echoes a
value, an answer slower than the client's timeout, a connection closed without an answer.
Everything else about the apply stage is tested against the real kube-apiserver."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FAULTS = ("error-500", "slow", "drop")


class FaultApiServer:
    """Answers every request with `fault`; start with `start()`, stop with `stop()`."""

    def __init__(self, fault: str, *, delay: float = 2.0, echo: str = "") -> None:
        if fault not in FAULTS:
            raise ValueError(fault)
        self.fault, self.delay, self.echo = fault, delay, echo
        self.requests = 0
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> FaultApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    def write_kubeconfig(self, path: Path) -> Path:
        host, port = self._http.server_address[:2]
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "f", "cluster": {"server": f"http://{host!s}:{port}"}}],
            "users": [{"name": "u", "user": {"token": "fault-double-token"}}],
            "contexts": [{"name": "f", "context": {"cluster": "f", "user": "u"}}],
            "current-context": "f",
        }
        path.write_text(json.dumps(config))
        return path


def _handler_for(server: FaultApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            server.requests += 1
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if server.fault == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if server.fault == "slow":
                time.sleep(server.delay)
            body = json.dumps(_status(server.echo)).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PATCH = do_DELETE = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


def _status(echo: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": f"etcdserver: request timed out while writing {echo}",
        "reason": "InternalError",
        "code": 500,
    }
