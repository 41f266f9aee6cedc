"""Pruning with guards none of the anchors has (apply-anchors §1.10, §9 step 6).

An empty bundle never prunes; an object that existed before this tool first applied it (adopted)
is never pruned; Namespaces, CRDs and PersistentVolumes are never pruned unless
configured; an object is deleted only while it still carries this ApplySet's part-of label;
more planned deletions than the budget abort the whole run before anything is deleted.
Deletion runs in reverse apply order with Background propagation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from validator.apply.inventory import Identity, identity
from validator.apply.kube import ApplyError, KubeClient
from validator.apply.options import PROTECTED_KINDS, ApplyOptions
from validator.apply.ordering import in_delete_order
from validator.apply.prepare import PART_OF_LABEL
from validator.apply.report import PruneResult
from validator.model import ResourceRef

ADOPTED_REASON = "it existed before gitops-validator first applied it, so it is never pruned"


@dataclass
class PrunePlan:
    candidates: list[ResourceRef] = field(default_factory=list)
    to_delete: list[ResourceRef] = field(default_factory=list)
    skipped: list[tuple[ResourceRef, str]] = field(default_factory=list)
    survivors: list[ResourceRef] = field(default_factory=list)  # stay in the inventory
    refused: str | None = None
    aborted: str | None = None


def plan_prune(
    client: KubeClient,
    recorded: Sequence[ResourceRef],
    desired: Sequence[ResourceRef],
    options: ApplyOptions,
    applyset_id: str,
    adopted: frozenset[Identity] = frozenset(),
) -> PrunePlan:
    """Which recorded objects left the bundle, and which of them may be deleted (reads only)."""
    wanted = {identity(ref) for ref in desired}
    plan = PrunePlan(candidates=in_delete_order([r for r in recorded if identity(r) not in wanted]))
    if not plan.candidates:
        return plan
    if not desired:
        plan.refused = "the bundle is empty, and an empty bundle never prunes"
        plan.survivors = list(plan.candidates)
        return plan
    for ref in plan.candidates:
        reason = ADOPTED_REASON if identity(ref) in adopted else None
        reason = reason or _keep_reason(client, ref, options, applyset_id)
        if reason is None:
            plan.to_delete.append(ref)
            continue
        plan.skipped.append((ref, reason))
        if reason.startswith(("protected", "cannot")):
            plan.survivors.append(ref)  # still ours: keep tracking it
    budget = options.max_deletions
    if budget is not None and len(plan.to_delete) > budget:
        plan.aborted = (
            f"pruning would delete {len(plan.to_delete)} objects, more than the budget of "
            f"{budget}; nothing was changed"
        )
    return plan


def _keep_reason(
    client: KubeClient, ref: ResourceRef, options: ApplyOptions, applyset_id: str
) -> str | None:
    if ref.kind in PROTECTED_KINDS and ref.kind not in options.prune_protected_kinds:
        return f"protected kind {ref.kind} is never pruned unless configured"
    try:
        live = client.get(ref)
    except ApplyError as error:
        return f"cannot read it: {error}"
    if live is None:
        return "already gone"
    labels = (live.get("metadata") or {}).get("labels") or {}
    if labels.get(PART_OF_LABEL) != applyset_id:
        return "no longer carries this ApplySet's ownership label"
    return None


def execute_prune(
    client: KubeClient, plan: PrunePlan
) -> tuple[list[ResourceRef], list[tuple[ResourceRef, str]]]:
    """Delete the planned objects in order; failures are returned (and stay in the inventory)."""
    deleted: list[ResourceRef] = []
    failed: list[tuple[ResourceRef, str]] = []
    for ref in plan.to_delete:
        try:
            client.delete(ref, propagation="Background")
        except ApplyError as error:  # str() of our API errors never holds server text
            failed.append((ref, str(error)))
            continue
        deleted.append(ref)
    return deleted, failed


def prune_result(
    plan: PrunePlan,
    deleted: Sequence[ResourceRef] = (),
    failed: Sequence[tuple[ResourceRef, str]] = (),
) -> PruneResult:
    return PruneResult(
        requested=True,
        candidates=tuple(plan.candidates),
        deleted=tuple(deleted),
        skipped=tuple(plan.skipped),
        failed=tuple(failed),
        refused=plan.refused,
        aborted=plan.aborted,
    )
