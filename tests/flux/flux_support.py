"""A Flux repository modelled on `flux bootstrap` output and fluxcd/flux2-kustomize-helm-example:
clusters/staging + clusters/production, infrastructure/ and apps/ with base + overlays, a
local chart served by the repository's own GitRepository, a remote HelmRepository chart, and
postBuild substitution from a ConfigMap and a SOPS-encrypted Secret."""

from __future__ import annotations

from collections.abc import Callable

GOTK_COMPONENTS = """---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
  labels:
    app.kubernetes.io/instance: flux-system
"""

KUSTOMIZATION_API = "kustomize.toolkit.fluxcd.io/v1"


def gotk_sync(cluster: str) -> str:
    return f"""---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  secretRef:
    name: flux-system
  url: ssh://git@github.com/example/fleet
---
apiVersion: {KUSTOMIZATION_API}
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/{cluster}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def cluster_units(cluster: str) -> str:
    return f"""apiVersion: {KUSTOMIZATION_API}
kind: Kustomization
metadata:
  name: infra-controllers
  namespace: flux-system
spec:
  interval: 1h
  path: ./infrastructure/controllers
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
---
apiVersion: {KUSTOMIZATION_API}
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  dependsOn:
    - name: infra-controllers
  interval: 10m
  path: ./apps/{cluster}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      cluster_name: {cluster}
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
      - kind: Secret
        name: cluster-secrets
"""


def cluster_vars(domain: str) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  cluster_domain: {domain}
  replicas: "2"
"""


CLUSTER_SECRETS = """apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
type: Opaque
stringData:
  api_token: canary-7f3a9c1e-do-not-leak
"""

# Nothing listens on port 9 of the loopback: a chart repository the run cannot reach.
UNREACHABLE_HTTP = "http://127.0.0.1:9/charts"
UNREACHABLE_OCI = "oci://127.0.0.1:9/charts"


def infra_controllers(
    http_url: str = UNREACHABLE_HTTP, oci_url: str = UNREACHABLE_OCI
) -> dict[str, str]:
    """ingress-nginx from an HTTP chart repository, metrics from an OCI registry."""
    return {
        "infrastructure/controllers/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - ingress-nginx.yaml\n  - metrics.yaml\n"
        ),
        "infrastructure/controllers/ingress-nginx.yaml": f"""apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  interval: 24h
  url: {http_url}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  interval: 30m
  chart:
    spec:
      chart: ingress-nginx
      version: "4.x"
      sourceRef:
        kind: HelmRepository
        name: ingress-nginx
""",
        "infrastructure/controllers/metrics.yaml": f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: metrics
  namespace: monitoring
spec:
  interval: 1h
  url: {oci_url}/metrics
  ref:
    semver: ">=0.3.0"
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metrics
  namespace: monitoring
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: metrics
""",
    }


PODINFO_RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  releaseName: podinfo
  interval: 50m
  chart:
    spec:
      chart: ./charts/podinfo
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
  values:
    replicaCount: ${replicas}
    securityContext:
      privileged: true
    ingress:
      host: podinfo.${cluster_domain}
    token: ${api_token}
"""

CHART = {
    "charts/podinfo/Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 6.7.0\n",
    "charts/podinfo/values.yaml": (
        "replicaCount: 1\nsecurityContext: {}\ningress:\n  host: example.com\ntoken: none\n"
    ),
    "charts/podinfo/templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    host: {{ .Values.ingress.host | quote }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.7.0
          env:
            - name: TOKEN_SET
              value: {{ ne .Values.token "none" | quote }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
""",
}

APPS = {
    "apps/base/podinfo/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "namespace: podinfo\nresources:\n  - namespace.yaml\n  - release.yaml\n"
    ),
    "apps/base/podinfo/namespace.yaml": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n"
    ),
    "apps/base/podinfo/release.yaml": PODINFO_RELEASE,
    "apps/staging/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - ../base/podinfo\n"
    ),
    "apps/production/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - ../base/podinfo\n"
    ),
}


def flux_repository(
    encrypt: Callable[[str, str], str],
    http_url: str = UNREACHABLE_HTTP,
    oci_url: str = UNREACHABLE_OCI,
) -> dict[str, str]:
    """The repository's files; `encrypt(text, filename)` is the real sops; the charts of
    infrastructure/ come from `http_url` and `oci_url`."""
    files: dict[str, str] = {**infra_controllers(http_url, oci_url), **CHART, **APPS}
    for cluster, domain in (("staging", "staging.example.com"), ("production", "example.com")):
        base = f"clusters/{cluster}"
        files[f"{base}/flux-system/gotk-components.yaml"] = GOTK_COMPONENTS
        files[f"{base}/flux-system/gotk-sync.yaml"] = gotk_sync(cluster)
        files[f"{base}/flux-system/kustomization.yaml"] = (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"
        )
        files[f"{base}/units.yaml"] = cluster_units(cluster)
        files[f"{base}/vars/cluster-vars.yaml"] = cluster_vars(domain)
        name = f"{base}/vars/cluster-secrets.sops.yaml"
        files[name] = encrypt(CLUSTER_SECRETS, name)
    return files
