"""A real HTTP server on 127.0.0.1 serving JSON schemas in the CRDs-catalog layout
(`<group>/<kind>_<version>.json`), counting the requests it answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _resource(spec: dict[str, Any]) -> dict[str, Any]:
    """A catalog-style schema: apiVersion/kind/metadata open, spec strict."""
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": {"type": "object"},
        },
        "required": ["spec"],
    }


_REF = _object({"name": {"type": "string"}, "kind": {"type": "string"}}, ("name",))

# Small schemas in the shapes of Flux, cert-manager and external-secrets (written for the tests).
CATALOG: dict[str, dict[str, Any]] = {
    "source.toolkit.fluxcd.io/gitrepository_v1.json": _resource(
        _object(
            {
                "url": {"type": "string", "pattern": "^(http|https|ssh)://.*$"},
                "interval": {"type": "string"},
                "ref": _object({"branch": {"type": "string"}, "tag": {"type": "string"}}),
            },
            ("interval", "url"),
        )
    ),
    "kustomize.toolkit.fluxcd.io/kustomization_v1.json": _resource(
        _object(
            {
                "interval": {"type": "string"},
                "path": {"type": "string"},
                "prune": {"type": "boolean"},
                "sourceRef": _REF,
                "targetNamespace": {"type": "string"},
                "decryption": _object(
                    {"provider": {"type": "string", "enum": ["sops"]}, "secretRef": _REF}
                ),
            },
            ("interval", "prune", "sourceRef"),
        )
    ),
    "cert-manager.io/certificate_v1.json": _resource(
        _object(
            {
                "secretName": {"type": "string"},
                "dnsNames": {"type": "array", "items": {"type": "string"}},
                "issuerRef": _REF,
                "duration": {"type": "string"},
            },
            ("issuerRef", "secretName"),
        )
    ),
    "external-secrets.io/externalsecret_v1.json": _resource(
        _object(
            {
                "refreshInterval": {"type": "string"},
                "secretStoreRef": _REF,
                "target": _object({"name": {"type": "string"}}),
                "data": {
                    "type": "array",
                    "items": _object(
                        {
                            "secretKey": {"type": "string"},
                            "remoteRef": _object({"key": {"type": "string"}}, ("key",)),
                        },
                        ("remoteRef", "secretKey"),
                    ),
                },
            },
        )
    ),
}


@dataclass
class SchemaServer:
    url: str
    requests: list[str] = field(default_factory=list)


@contextmanager
def schema_server(catalog: dict[str, dict[str, Any]] = CATALOG) -> Iterator[SchemaServer]:
    served = SchemaServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(self.path)
            schema = catalog.get(self.path.lstrip("/"))
            if schema is None:
                self.send_error(404)
                return
            body = json.dumps(schema).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
