"""In-process rates: policy evaluations per second next to the raw CEL engine's rate."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench import corpus
from validator.model import RenderedEnvironment, Resource, ResourceRef

KUBERNETES_VERSION = "1.33"


@dataclass(frozen=True, slots=True)
class Rate:
    name: str
    count: int  # evaluations
    seconds: float
    note: str

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def _environment(bodies: list[dict[str, Any]]) -> RenderedEnvironment:
    resources = tuple(Resource(ResourceRef.of(b), b, "bench") for b in bodies)
    return RenderedEnvironment("bench", KUBERNETES_VERSION, resources)


def _best(action: Any, times: int) -> tuple[float, Any]:
    """The best CPU time of `times` runs: on a shared machine wall time measures the others."""
    best, result = float("inf"), None
    for _ in range(times):
        start = time.process_time()
        result = action()
        best = min(best, time.process_time() - start)
    return best, result


def policy_rates(objects: int, repeats: int) -> list[Rate]:
    from validator.policy import PolicyEngine, PolicySet
    from validator.policy.cel_env import CelEnvironment
    from validator.policy.library import load_builtin

    bodies = corpus.environment_objects("env0", objects, mix="shop")
    env = _environment(bodies)
    engine = PolicyEngine(load_builtin(), PolicySet(), default_profile="all")
    engine.evaluate(env)  # compiles every policy and the per-kind programs outside the clock
    pairs = sum(1 for _, _, o in engine.outcomes(env) if o.result != "skip")
    seconds, findings = _best(lambda: engine.evaluate(env), repeats)
    policies = len(engine.policies_for("bench"))
    ours = Rate(
        "policy stage: (policy, object) evaluations",
        pairs,
        seconds,
        f"{objects:,} objects x {policies} policies (profile all): {pairs:,} that apply, "
        f"{len(findings):,} findings; compiled once",
    )
    cel = CelEnvironment(KUBERNETES_VERSION)
    check = cel.compile("object.spec.?replicas.orValue(1) >= 1")
    activations = [cel.activation({"object": body}) for body in bodies]

    def raw() -> int:
        return sum(1 for a in activations for _ in (check.program.eval(a),))

    raw_seconds, count = _best(raw, repeats)
    engine_rate = Rate(
        "raw cel-expr-python: one compiled expression",
        count,
        raw_seconds,
        "the same objects, one Activation each, made outside the clock: the engine's ceiling",
    )
    return [ours, engine_rate, *_kyverno_rates(bodies, repeats)]


def _kyverno_rates(bodies: list[dict[str, Any]], repeats: int) -> list[Rate]:
    """Pattern and CEL ClusterPolicies next to the same checks as a ValidatingPolicy."""
    from bench import kyverno

    rates: list[Rate] = kyverno.rates(bodies, repeats)
    return rates
