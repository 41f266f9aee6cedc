"""Health after apply: kstatus rules (apply-anchors §5) and a polling wait with a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from validator.apply.kube import ApplyError, KubeClient
from validator.apply.report import HealthResult
from validator.model import ResourceRef

CURRENT, IN_PROGRESS, FAILED = "Current", "InProgress", "Failed"
TERMINAL = frozenset({CURRENT, FAILED})
Status = tuple[str, str]


def compute_status(obj: Mapping[str, Any]) -> Status:
    """kstatus `Compute`: generic rules first, then the built-in kind rules, then `Ready`."""
    metadata, status = obj.get("metadata") or {}, obj.get("status") or {}
    if metadata.get("deletionTimestamp"):
        return "Terminating", "being deleted"
    observed, generation = status.get("observedGeneration"), metadata.get("generation")
    if observed is not None and generation is not None and observed != generation:
        return IN_PROGRESS, f"generation {generation} not observed yet (at {observed})"
    conditions = _conditions(status)
    if conditions.get("Reconciling", {}).get("status") == "True":
        return IN_PROGRESS, _message(conditions["Reconciling"], "reconciling")
    if conditions.get("Stalled", {}).get("status") == "True":
        return FAILED, _message(conditions["Stalled"], "stalled")
    rule = KIND_RULES.get(str(obj.get("kind")))
    if rule is not None:
        return rule(obj.get("spec") or {}, status, conditions)
    ready = conditions.get("Ready")
    if ready is not None:
        if ready.get("status") == "True":
            return CURRENT, "Ready"
        return IN_PROGRESS, _message(ready, "not Ready")
    return CURRENT, "no conditions to wait for"


def wait_healthy(
    client: KubeClient,
    refs: Sequence[ResourceRef],
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[HealthResult]:
    """Poll until every object is Current or Failed, or the timeout passes; one result each."""
    deadline = clock() + timeout
    latest: dict[ResourceRef, Status] = {}
    while True:
        for ref in refs:
            if latest.get(ref, ("", ""))[0] not in TERMINAL:
                latest[ref] = _read(client, ref)
        pending = [ref for ref in refs if latest[ref][0] not in TERMINAL]
        if not pending or clock() >= deadline:
            break
        sleep(min(interval, max(deadline - clock(), 0.0)))
    results = []
    for ref in refs:
        state, message = latest[ref]
        if state not in TERMINAL:
            message = f"timed out after {timeout:g}s: {message}"
        results.append(HealthResult(ref, state, message))
    return results


def _read(client: KubeClient, ref: ResourceRef) -> Status:
    try:
        live = client.get(ref)
    except ApplyError as error:
        return "Unknown", str(error)
    return ("NotFound", "not found") if live is None else compute_status(live)


def _conditions(status: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    entries = status.get("conditions") or []
    return {str(c.get("type")): c for c in entries if isinstance(c, Mapping)}


def _message(condition: Mapping[str, Any], default: str) -> str:
    return str(condition.get("message") or condition.get("reason") or default)


def _deployment(spec: Mapping[str, Any], status: Mapping[str, Any], cond: Any) -> Status:
    wanted = int(spec.get("replicas", 1))
    progressing = cond.get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return FAILED, "progress deadline exceeded"
    for name in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
        if int(status.get(name, 0)) < wanted:
            return IN_PROGRESS, f"{name}: {status.get(name, 0)} of {wanted}"
    if int(status.get("replicas", 0)) > wanted:
        return IN_PROGRESS, "pending termination of extra pods"
    if cond.get("Available", {}).get("status") != "True":
        return IN_PROGRESS, "not Available"
    return CURRENT, f"{wanted} replicas up to date and available"


def _stateful_set(spec: Mapping[str, Any], status: Mapping[str, Any], cond: Any) -> Status:
    if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
        return CURRENT, "OnDelete update strategy"
    wanted = int(spec.get("replicas", 1))
    for name in ("replicas", "readyReplicas", "currentReplicas"):
        if int(status.get(name, 0)) < wanted:
            return IN_PROGRESS, f"{name}: {status.get(name, 0)} of {wanted}"
    if status.get("currentRevision") != status.get("updateRevision"):
        return IN_PROGRESS, "rolling update in progress"
    return CURRENT, f"{wanted} replicas ready"


def _daemon_set(spec: Mapping[str, Any], status: Mapping[str, Any], cond: Any) -> Status:
    if "desiredNumberScheduled" not in status:
        return IN_PROGRESS, "not scheduled yet"
    wanted = int(status["desiredNumberScheduled"])
    for name in ("currentNumberScheduled", "updatedNumberScheduled", "numberAvailable"):
        if int(status.get(name, 0)) < wanted:
            return IN_PROGRESS, f"{name}: {status.get(name, 0)} of {wanted}"
    return CURRENT, f"{wanted} pods ready"


def _job(spec: Mapping[str, Any], status: Mapping[str, Any], cond: Any) -> Status:
    """Flux's rule: a Job is Current only once Complete (upstream says once started)."""
    if cond.get("Failed", {}).get("status") == "True":
        return FAILED, _message(cond["Failed"], "failed")
    if cond.get("Complete", {}).get("status") == "True" or spec.get("suspend"):
        return CURRENT, "complete" if not spec.get("suspend") else "suspended"
    return IN_PROGRESS, "running" if status.get("startTime") else "not started"


def _crd(spec: Mapping[str, Any], status: Mapping[str, Any], cond: Any) -> Status:
    if cond.get("NamesAccepted", {}).get("status") == "False":
        return FAILED, _message(cond["NamesAccepted"], "names not accepted")
    established = cond.get("Established", {})
    if established.get("status") == "True":
        return CURRENT, "Established"
    return IN_PROGRESS, "not Established yet"


def _claim(spec: Mapping[str, Any], status: Mapping[str, Any], cond: Any) -> Status:
    phase = status.get("phase")
    return (CURRENT, "Bound") if phase == "Bound" else (IN_PROGRESS, f"phase {phase}")


KIND_RULES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], Any], Status]] = {
    "Deployment": _deployment,
    "StatefulSet": _stateful_set,
    "DaemonSet": _daemon_set,
    "Job": _job,
    "CustomResourceDefinition": _crd,
    "PersistentVolumeClaim": _claim,
}
