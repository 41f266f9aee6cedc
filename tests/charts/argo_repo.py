"""An Argo CD repository modelled on the documented layouts: an app-of-apps root, an
ApplicationSet over git directories, a chart from a Helm repository and one foreign source."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support import write_files

REMOTE = "https://github.com/example/gitops.git"

ROOT_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: git@github.com:Example/gitops.git
    targetRevision: HEAD
    path: argocd/apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""

WEB_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: apps/web/overlays/staging
    kustomize:
      namePrefix: stg-
      commonLabels: {team: web}
      images: ["nginx=nginx:1.28"]
  destination:
    name: staging
    namespace: web
"""

SERVICES_APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: services
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: ssh://git@github.com/example/gitops.git
        revision: HEAD
        directories:
          - path: apps/services/*
          - path: apps/services/legacy
            exclude: true
  template:
    metadata:
      name: 'svc-{{path.basename}}'
    spec:
      source:
        repoURL: https://github.com/example/gitops.git
        path: '{{path}}'
      destination:
        name: production
        namespace: '{{path.basename}}'
"""

CHART_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: cache
  namespace: argocd
spec:
  source:
    repoURL: {chart_repo}
    chart: web
    targetRevision: ^1.0.0
    helm:
      releaseName: cache
      valuesObject:
        privileged: true
  destination:
    name: staging
    namespace: cache
"""

FOREIGN_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: monitoring
  namespace: argocd
spec:
  sources:
    - repoURL: https://github.com/example/gitops.git
      path: apps/monitoring
    - repoURL: https://github.com/other/team-repo.git
      path: deploy
  destination:
    name: staging
    namespace: monitoring
"""

WEB_BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true
"""

API_DEPLOYMENT = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-settings
data:
  mode: fast
"""


def argo_repository(root: Path, chart_repo_url: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", REMOTE], check=True)
    return write_files(
        root,
        {
            "argocd/root.yaml": ROOT_APP,
            "argocd/apps/web.yaml": WEB_APP,
            "argocd/apps/services.yaml": SERVICES_APPSET,
            "argocd/apps/cache.yaml": CHART_APP.format(chart_repo=chart_repo_url),
            "argocd/apps/monitoring.yaml": FOREIGN_APP,
            "apps/web/base/deployment.yaml": WEB_BASE,
            "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
            "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\n",
            "apps/services/api/settings.yaml": API_DEPLOYMENT,
            "apps/services/worker/Chart.yaml": "apiVersion: v2\nname: worker\nversion: 0.1.0\n",
            "apps/services/worker/templates/cm.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
            ),
            "apps/services/legacy/old.yaml": API_DEPLOYMENT.replace("api-settings", "legacy"),
            "apps/monitoring/sa.yaml": (
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: prom}\n"
            ),
        },
    )
