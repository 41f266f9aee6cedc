"""A stand-in for the `helm` command that kustomize's `helmCharts:` generator calls.

kustomize runs `HELM version -c --short` and `HELM template RELEASE CHART --namespace NS
-f VALUES --kube-version V`; this module answers both with the in-process Helm SDK, so
kustomizations that inflate charts render on machines without a helm binary. Each document is
annotated with the template it came from, which the source map reads and then removes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from validator.render.helm import HelmRenderError, merged_values, render_chart
from validator.render.stream import StreamError, load_documents

TEMPLATE_ANNOTATION = "gitops-validator.dev/helm-template"
# kustomize refuses any helm whose major version is not 3; the SDK behind this shim is Helm v4,
# whose `template` output is compatible.
REPORTED_VERSION = "v3.99.0"


def main(argv: list[str]) -> int:
    if argv[:1] == ["version"]:
        print(REPORTED_VERSION)
        return 0
    if argv[:1] != ["template"]:
        print(f"gitops-validator helm shim: unsupported command {argv[:1]}", file=sys.stderr)
        return 2
    args = _template_parser().parse_args(argv[1:])
    chart_dir = Path(args.chart).resolve()
    try:
        templates = render_chart(
            chart_dir,
            merged_values([Path(v) for v in args.values]),
            release=args.release,
            namespace=args.namespace,
            kubernetes_version=_minor(args.kube_version),
        )
        for template in templates:
            for document in load_documents(template.text):
                if isinstance(document, dict):
                    _annotate(document, str(chart_dir / template.template))
                print("---")
                print(json.dumps(document))
    except (HelmRenderError, StreamError) as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


def _template_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helm template", add_help=False)
    parser.add_argument("release")
    parser.add_argument("chart")
    parser.add_argument("--namespace", default=None)
    parser.add_argument("-f", "--values", action="append", default=[])
    parser.add_argument("--kube-version", default="")
    parser.add_argument("--include-crds", action="store_true")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--version", default=None)
    parser.add_argument("--api-versions", action="append", default=[])
    return parser


def _minor(kube_version: str) -> str:
    parts = kube_version.lstrip("v").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and parts[0] else "1.33"


def _annotate(document: dict[str, object], source: str) -> None:
    metadata = document.setdefault("metadata", {})
    if isinstance(metadata, dict):
        annotations = metadata.setdefault("annotations", {})
        if isinstance(annotations, dict):
            annotations[TEMPLATE_ANNOTATION] = source


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
