"""`make bench`: one run, side by side, printed as Markdown tables.

    .venv/bin/python -m bench.run [--sizes 1000,10000] [--helm-sizes 30000] [--envs 100x100]

- end to end: `gitops-validator validate --format json --output FILE` on a generated Kustomize
  repository (Deployments, Services and ConfigMaps in thirds, the Deployments carelessly
  written, profile `all`: about 2 findings per object), cold (empty render cache, kustomize
  runs), warm (nothing changed: the findings cache replays each environment) and re-checked
  (render cache hit, findings cache emptied: every check runs), next to a bare
  `kustomize build` of the same overlays;
- the peers (checkov, kubernetes-validate, installed into bench/.peers-venv) on the rendered
  stream of the `--peers` sizes, against our warm and re-checked runs of that stream;
- policy evaluations per second next to the raw cel-expr-python rate;
- start-up (`--version`, `envs`) and the pre-commit hook's path on the demo, warm;
- kustomize's curve per binary, and what the origin-annotation wrapper adds to a build.

Per-stage in-process rows (schema, policy families, Gatekeeper, conftest): `python -m bench.stages`.

Wall times swing with the machine's load (printed); CPU times do not. Kustomize sizes above
10,000 take hours cold: kustomize is superlinear (see the curve and the README), so the 30,000
row renders the same objects from a Helm chart (`--helm-sizes`).
"""

from __future__ import annotations

import argparse
import compileall
import os
import tempfile
from pathlib import Path

from bench import corpus, e2e, engine_rates, kustomize_curve, peers
from bench.measure import load_average, run
from bench.report import curve_table, e2e_table, peer_table, rate_table, startup_table
from validator.render.tools import find_kustomize

KUBERNETES_VERSION = "1.33"


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=_ints, default=[1000, 10000], help="objects, one env")
    parser.add_argument(
        "--helm-sizes",
        type=_ints,
        default=[30000],
        help="objects, one env rendered from a Helm chart (kustomize would take hours)",
    )
    parser.add_argument("--envs", default="100x100", help="ENVSxOBJECTS ('' skips the row)")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per row")
    parser.add_argument("--policy-objects", type=int, default=10000)
    parser.add_argument("--curve", type=_ints, default=[500, 1000, 2000, 4000])
    parser.add_argument("--no-peers", action="store_true", help="skip checkov/kubernetes-validate")
    parser.add_argument(
        "--peers", type=_ints, default=[1000, 10000], help="sizes whose stream the peers check"
    )
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per process")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # An installed tool runs from byte-compiled modules; an editable checkout may not have them.
    compileall.compile_dir(str(Path(e2e.__file__).parent.parent / "validator"), quiet=2)
    print(f"gitops-validator benchmark: {os.cpu_count()} CPUs, load average {load_average()}, ")
    print(f"kustomize: {find_kustomize().label} {find_kustomize().version}\n")
    with tempfile.TemporaryDirectory(prefix="gitops-bench-") as temp:
        scratch = Path(temp)
        rows = []
        for size in args.sizes:  # each row as soon as it is measured: cold runs take minutes
            rows.append(e2e.sized([size], scratch, args.repeats, args.timeout)[0])
            print(e2e_table(rows[-1:]), flush=True)
        for size in args.helm_sizes:
            rows.append(e2e.sized([size], scratch, args.repeats, args.timeout, helm=True)[0])
            print(e2e_table(rows[-1:]), flush=True)
        if args.envs:
            count, objects = (int(n) for n in args.envs.split("x"))
            rows.append(e2e.many_envs(count, objects, scratch, args.repeats, args.timeout))
        print("\n## End to end\n\n" + e2e_table(rows) + "\n", flush=True)
        for row in rows if not args.no_peers else ():
            if row.label in {str(size) for size in args.peers} and row.warm:
                table = _peers(row, int(row.label), scratch, args)
                print(f"## Peers on the same {row.label}-object stream\n\n{table}\n", flush=True)
        rates = engine_rates.policy_rates(args.policy_objects, args.repeats)
        print("## Policy evaluation\n\n" + rate_table(rates) + "\n", flush=True)
        launches = e2e.startup(max(args.repeats, 5))
        hook = e2e.pre_commit(scratch, max(args.repeats, 5))
        print("## Start-up and pre-commit\n\n" + startup_table([*launches, *filter(None, [hook])]))
        points = kustomize_curve.curve(args.curve, scratch, args.timeout)
        print("\n## kustomize alone\n\n" + curve_table(points) + "\n")
    print(f"load average at the end: {load_average()}")
    return 0


def _peers(ours: e2e.EndToEnd, size: int, scratch: Path, args: argparse.Namespace) -> str:
    """The peers get exactly what we validated: our render of the same repository."""
    repo = scratch / f"repo-{size}"
    corpus.write_repo(repo, envs=1, objects=size, mix="shop", profile="all")
    out = scratch / "stream"
    env = e2e.child_env(scratch / f"cache-{ours.label}")
    done = run([e2e.BIN, "--repo", str(repo), "render", "--output", str(out)], env=env)
    stream = out / "env0.yaml"
    if done.code != 0 or not stream.is_file():
        return f"(could not render the stream: {done.stderr_tail})"
    found = peers.run_peers(stream, ours.objects, KUBERNETES_VERSION, args.timeout)
    return peer_table(found, ours)


if __name__ == "__main__":
    raise SystemExit(main())
