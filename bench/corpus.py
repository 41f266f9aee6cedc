"""A synthetic GitOps corpus: N environments x M objects with a realistic mix and a few percent
of deliberate violations. Yields objects in memory, or writes a Kustomize repository on disk
(one overlay per environment whose kustomization.yaml lists its resource files).

    .venv/bin/python -m bench.corpus --envs 3 --objects 500 --output /tmp/corpus
"""

from __future__ import annotations

import argparse
import base64
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Body = dict[str, Any]

# Kind → share of the objects of an environment (the CRD itself is added once per environment).
MIX = {
    "Deployment": 0.34,
    "Service": 0.20,
    "ConfigMap": 0.14,
    "StatefulSet": 0.08,
    "Ingress": 0.08,
    "Secret": 0.08,
    "Widget": 0.08,
}
VIOLATIONS = (
    "wrong-type",
    "unknown-field",
    "long-label",
    "selector",
    "removed-api",
    "cel-rule",
    "privileged",
    "latest-tag",
)

DEPLOYMENT_VIOLATIONS = (
    "wrong-type",
    "unknown-field",
    "long-label",
    "selector",
    "privileged",
    "latest-tag",
)


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop", "tier": "web"}


def _pod_template(name: str, rng: random.Random) -> Body:
    """A pod a well-run platform team ships: it passes the whole built-in policy library."""
    digest = f"{rng.getrandbits(256):064x}"
    tag = f"1.{rng.randint(0, 40)}.0@sha256:{digest}"
    probe = {"httpGet": {"path": "/ready", "port": "http"}}
    return {
        "metadata": {"labels": {"app": name}},
        "spec": {
            "serviceAccountName": name,
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "app",
                    "image": f"registry.example.com/{name}:{tag}",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "env": [{"name": "LOG_LEVEL", "value": "info"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "readinessProbe": probe,
                    "livenessProbe": probe,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }


def deployment(name: str, namespace: str, rng: random.Random) -> Body:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(name)},
        "spec": {
            "replicas": rng.randint(2, 5),
            "selector": {"matchLabels": {"app": name}},
            "template": _pod_template(name, rng),
        },
    }


def stateful_set(name: str, namespace: str, rng: random.Random) -> Body:
    body = deployment(name, namespace, rng)
    body["kind"] = "StatefulSet"
    body["spec"]["serviceName"] = name
    return body


def service(name: str, namespace: str, rng: random.Random) -> Body:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(name)},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def ingress(name: str, namespace: str, rng: random.Random) -> Body:
    backend = {"service": {"name": name, "port": {"number": 80}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    rule = {"host": f"{name}.example.com", "http": {"paths": [path]}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"ingressClassName": "nginx", "rules": [rule]},
    }


def config_map(name: str, namespace: str, rng: random.Random) -> Body:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"settings.json": json.dumps({"feature": rng.random() > 0.5})},
    }


def _fake_enc(rng: random.Random, size: int = 24) -> str:
    """An `ENC[...]` value of SOPS's shape; the ciphertext is random bytes, nothing encrypted."""

    def b64(n: int) -> str:
        return base64.b64encode(rng.randbytes(n)).decode()

    return f"ENC[AES256_GCM,data:{b64(size)},iv:{b64(32)},tag:{b64(16)},type:str]"


def sops_secret(name: str, namespace: str, rng: random.Random) -> Body:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {"username": _fake_enc(rng), "password": _fake_enc(rng)},
        "sops": {
            "age": [
                {
                    "recipient": "age1benchbenchbenchbenchbenchbenchbenchbenchbenchbenchbench",
                    "enc": (
                        "-----BEGIN AGE ENCRYPTED FILE-----\nYmVuY2g=\n"
                        "-----END AGE ENCRYPTED FILE-----\n"
                    ),
                }
            ],
            "lastmodified": "2026-01-01T00:00:00Z",
            "mac": _fake_enc(rng, 128),  # the MAC is a SHA-512 hex digest: 128 bytes
            "encrypted_regex": "^(data|stringData)$",
            "version": "3.11.0",
        },
    }


def widget(name: str, namespace: str, rng: random.Random) -> Body:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": rng.randint(1, 3), "maxReplicas": 5, "size": "small"},
    }


def widget_crd() -> Body:
    spec = {
        "type": "object",
        "required": ["replicas"],
        "x-kubernetes-validations": [
            {"rule": "self.replicas <= self.maxReplicas", "message": "replicas exceeds maxReplicas"}
        ],
        "properties": {
            "replicas": {"type": "integer", "minimum": 0},
            "maxReplicas": {"type": "integer"},
            "size": {"type": "string", "enum": ["small", "large"]},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {
                "kind": "Widget",
                "plural": "widgets",
                "singular": "widget",
                "listKind": "WidgetList",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}},
                }
            ],
        },
    }


BUILDERS = {
    "Deployment": deployment,
    "StatefulSet": stateful_set,
    "Service": service,
    "Ingress": ingress,
    "ConfigMap": config_map,
    "Secret": sops_secret,
    "Widget": widget,
}


def violate(body: Body, violation: str) -> None:
    """Break `body` the way people do: schema violations and policy violations."""
    spec = body.get("spec", {})
    if violation == "wrong-type" and "replicas" in spec:
        spec["replicas"] = "two"
    elif violation == "selector" and "selector" in spec and "template" in spec:
        spec["selector"] = {"matchLabels": {"app": "somebody-else"}}
    elif violation == "removed-api" and body["kind"] == "Ingress":
        body["apiVersion"] = "extensions/v1beta1"
    elif violation == "cel-rule" and body["kind"] == "Widget":
        spec["replicas"] = 9
    elif violation == "privileged" and "template" in spec:
        container = spec["template"]["spec"]["containers"][0]
        container["securityContext"]["privileged"] = True
    elif violation == "latest-tag" and "template" in spec:
        container = spec["template"]["spec"]["containers"][0]
        container["image"] = container["image"].split(":")[0] + ":latest"
    elif violation == "long-label":
        body["metadata"].setdefault("labels", {})["owner"] = "x" * 70
    else:
        body["metadata"]["unexpectedField"] = True


# The stream: Deployments, Services and ConfigMaps in thirds, the Deployments written
# carelessly (no probes, no digest, no resources, writable root), about 2 findings per object
# with profile `all`.
SHOP_MIX = {"Deployment": 1 / 3, "Service": 1 / 3, "ConfigMap": 1 / 3}


def careless(body: Body) -> None:
    """What a hurried first draft leaves out: six best-practice findings per workload."""
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["image"] = container["image"].split("@")[0]
    for key in ("livenessProbe", "readinessProbe", "resources"):
        container.pop(key)
    container["securityContext"].pop("readOnlyRootFilesystem")


def environment_objects(
    env: str, count: int, violation_rate: float = 0.03, seed: int = 0, mix: str = "realistic"
) -> list[Body]:
    """The CRD plus `count` objects of one environment (`mix`: realistic | shop)."""
    rng = random.Random(f"{seed}:{env}")
    shares = SHOP_MIX if mix == "shop" else MIX
    kinds = rng.choices(list(shares), weights=list(shares.values()), k=count)
    objects = [widget_crd()]
    for index, kind in enumerate(kinds):
        body = BUILDERS[kind](f"{kind.lower()}-{index}", f"team-{index % 7}", rng)
        if mix == "shop" and kind == "Deployment":
            careless(body)
        if rng.random() < violation_rate:
            violate(body, rng.choice(VIOLATIONS))
        objects.append(body)
    return objects


def corpus(
    envs: int, objects: int, violation_rate: float = 0.03, mix: str = "realistic"
) -> Iterator[tuple[str, list[Body]]]:
    for index in range(envs):
        name = f"env{index}"
        yield name, environment_objects(name, objects, violation_rate, mix=mix)


def deployments(count: int, violation_rate: float = 0.0, seed: int = 0) -> list[Body]:
    rng = random.Random(seed)
    bodies = [deployment(f"web-{i}", f"team-{i % 7}", rng) for i in range(count)]
    for body in bodies:
        if rng.random() < violation_rate:
            violate(body, rng.choice(DEPLOYMENT_VIOLATIONS))
    return bodies


def write_repo(
    root: Path,
    envs: int,
    objects: int,
    violation_rate: float = 0.03,
    mix: str = "realistic",
    profile: str | None = None,
    helm: bool = False,
) -> list[str]:
    """A Kustomize repository: overlays/<env>/ with one file per kind and a kustomization.yaml,
    plus gitops-validator.yaml. JSON is valid YAML and keeps the writer dependency-free. With
    `helm`, each environment is a chart of plain templates instead (charts/<env>/templates/):
    the same objects, rendered in linear time by the Helm SDK where kustomize would take hours."""
    names = []
    for env, bodies in corpus(envs, objects, violation_rate, mix):
        directory = root / ("charts" if helm else "overlays") / env
        # Chart templates in files of 2,000 objects: one file of 10,000 Deployments would pass
        # the tool's 8 MiB limit on a source file.
        chunk = 2000 if helm else len(bodies)
        files = _write_by_kind(directory / "templates" if helm else directory, bodies, chunk)
        if helm:
            (directory / "Chart.yaml").write_text(f"apiVersion: v2\nname: {env}\nversion: 1.0.0\n")
        else:
            resources = "".join(f"  - {file}\n" for file in files)
            (directory / "kustomization.yaml").write_text(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"resources:\n{resources}"
            )
        names.append(env)
    if helm:
        environments = "".join(
            f"  {env}: {{helm: {{chart: charts/{env}, release: bench}}}}\n" for env in names
        )
    else:
        environments = "".join(f"  {env}: {{path: overlays/{env}}}\n" for env in names)
    policies = f"policies: {{builtin: {profile}}}\n" if profile else ""
    (root / "gitops-validator.yaml").write_text(
        f'kubernetesVersion: "1.33"\n{policies}environments:\n{environments}'
    )
    return names


def _write_by_kind(directory: Path, bodies: list[Body], chunk: int) -> list[str]:
    """One file per kind, `<kind>s.yaml` (`<kind>s-<n>.yaml` past `chunk` objects); returns the
    file names."""
    directory.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[Body]] = {}
    for body in bodies:
        by_kind.setdefault(body["kind"].lower(), []).append(body)
    files = []
    for kind, items in sorted(by_kind.items()):
        for start in range(0, len(items), max(chunk, 1)):
            part = items[start : start + chunk]
            file = f"{kind}s.yaml" if len(items) <= chunk else f"{kind}s-{start // chunk}.yaml"
            (directory / file).write_text("".join(f"---\n{json.dumps(i)}\n" for i in part))
            files.append(file)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--envs", type=int, default=3)
    parser.add_argument("--objects", type=int, default=500, help="objects per environment")
    parser.add_argument("--violations", type=float, default=0.03, help="share of broken objects")
    parser.add_argument("--mix", choices=("realistic", "shop"), default="realistic")
    parser.add_argument("--profile", help="policies.builtin of the written configuration")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    envs = write_repo(args.output, args.envs, args.objects, args.violations, args.mix, args.profile)
    print(f"wrote {len(envs)} environments x {args.objects} objects to {args.output}")


if __name__ == "__main__":
    main()
