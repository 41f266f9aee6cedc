"""One apply or drift run: resolve secrets in memory, stage, dry-run, compare, apply, prune, wait.

Flux's algorithm (apply-anchors §1.3-§1.4): objects are taken in kind order and in stages
(CRDs, Namespaces and ClusterRoles first, then *Class kinds, then the rest); each object is
read, server-side dry-run applied with force, and compared with the live object; only objects
that would change are applied for real, so an unchanged object keeps its resourceVersion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from validator.apply.drift import compare
from validator.apply.health import wait_healthy
from validator.apply.inventory import (
    ApplySetParent,
    Identity,
    adopts,
    identity,
    read_inventory,
    write_inventory,
)
from validator.apply.kube import ApplyError, KubeApiError, KubeClient, UnknownKindError
from validator.apply.options import RECREATE_ANNOTATION, ApplyOptions, paths_for
from validator.apply.ordering import CRD, served_kind, sort_key, stage_of
from validator.apply.prepare import Desired, Redactor, prepare
from validator.apply.prune import PrunePlan, execute_prune, plan_prune, prune_result
from validator.apply.report import Action, ApplyReport, HealthResult, ObjectResult, PruneResult
from validator.masking import mask_tool_output
from validator.model import Resource, ResourceRef, ValidatorError

log = logging.getLogger("gitops_validator.apply")
Resolver = Callable[[Sequence[Resource]], list[dict[str, Any]]]


DEFAULT_OPTIONS = ApplyOptions()


class ImmutableFieldError(ApplyError):
    pass


def apply_resources(
    resources: Sequence[Resource],
    *,
    environment: str,
    client: KubeClient,
    resolve: Resolver,
    options: ApplyOptions = DEFAULT_OPTIONS,
    revision: str | None = None,
) -> ApplyReport:
    """Apply (or with `options.dry_run`, plan) a verified bundle's objects."""
    mode = "dry-run" if options.dry_run else "apply"
    return _Run(client, options, mode, environment, revision).execute(resources, resolve)


def detect_drift(
    resources: Sequence[Resource],
    *,
    environment: str,
    client: KubeClient,
    resolve: Resolver,
    options: ApplyOptions = DEFAULT_OPTIONS,
    revision: str | None = None,
) -> ApplyReport:
    """Report drift without changing anything in the cluster."""
    return _Run(client, options, "drift", environment, revision).execute(resources, resolve)


class _Run:
    def __init__(
        self, client: KubeClient, options: ApplyOptions, mode: str, env: str, rev: str | None
    ) -> None:
        self.client, self.options, self.mode = client, options, mode
        self.environment, self.revision = env, rev
        self.write = mode == "apply"
        self.parent = ApplySetParent(
            options.inventory_name or f"gitops-validator-{env}",
            options.inventory_namespace,
            options.inventory_kind,
        )
        self.timings: dict[str, float] = {}
        self.redactor = Redactor(())
        self.crd_kinds: set[tuple[str, str]] = set()
        self.orphans: list[ResourceRef] = []
        self.recorded: set[Identity] = set()
        self.adopted: set[Identity] = set()  # members this tool found and did not create

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def execute(self, resources: Sequence[Resource], resolve: Resolver) -> ApplyReport:
        with self.phase("resolve"):
            resolved = _resolve(resolve, resources)
            desired, self.redactor = prepare(resources, resolved, self.parent.id)
        desired.sort(key=lambda item: sort_key(item.ref))
        self.crd_kinds = {served_kind(d.body) for d in desired if d.ref.kind == CRD}
        objects: list[ObjectResult] = []
        prune, health, errors = PruneResult(requested=self.options.prune), [], list[str]()
        try:
            with self.phase("inventory"):
                inventory = read_inventory(self.client, self.parent)
            recorded = inventory.members
            self.recorded = {identity(ref) for ref in recorded}
            self.adopted = set(inventory.adopted)
            self.orphans = self._orphans(recorded, desired)
            plan = self._plan(recorded, desired)
            if plan is not None and plan.aborted:
                return self._report(objects, prune_result(plan), [], [])
            if self.write and desired:
                write_inventory(
                    self.client,
                    self.parent,
                    [*recorded, *(d.ref for d in desired)],
                    self.options.field_manager,
                    self.adopted,
                )
            with self.phase("apply"):
                objects = self._apply_stages(desired, errors)
            prune = self._prune(plan, recorded, desired)
            if self.write and self.options.wait_for_health:
                with self.phase("health"):
                    applied = [o.ref for o in objects if o.action is not Action.FAILED]
                    health = self._wait(applied, self.options.health_timeout)
        except ApplyError as error:
            errors.append(self.redactor.redact(str(error)))
        return self._report(objects, prune, health, errors)

    def _orphans(self, recorded: list[ResourceRef], desired: list[Desired]) -> list[ResourceRef]:
        """Drift mode: objects an earlier apply recorded that left the bundle but are still in
        the cluster. They are drift too: the next `apply --prune` would delete them."""
        if self.mode != "drift":
            return []
        wanted = {d.ref for d in desired}
        return [ref for ref in recorded if ref not in wanted and self._exists(ref)]

    def _exists(self, ref: ResourceRef) -> bool:
        try:
            return self.client.get(ref) is not None
        except UnknownKindError:
            return False  # its kind is gone from the cluster, so is the object

    def _plan(self, recorded: list[ResourceRef], desired: list[Desired]) -> PrunePlan | None:
        if not self.options.prune:
            return None
        with self.phase("prune"):
            refs = [d.ref for d in desired]
            adopted = frozenset(self.adopted)
            return plan_prune(self.client, recorded, refs, self.options, self.parent.id, adopted)

    def _apply_stages(self, desired: list[Desired], errors: list[str]) -> list[ObjectResult]:
        results: list[ObjectResult] = []
        for stage in (0, 1, 2):
            items = [item for item in desired if stage_of(item.ref) == stage]
            results.extend(self._object(item) for item in items)
            crds = [i.ref for i in items if i.ref.kind == CRD]
            if stage == 0 and crds and self.write:
                waited = self._wait(crds, self.options.establish_timeout)
                errors.extend(
                    f"{r.ref.key} not established: {r.message}" for r in waited if not r.healthy
                )
                self.client.forget_discovery()  # the new kinds are served now
        return results

    def _object(self, item: Desired) -> ObjectResult:
        try:
            return self._reconcile(item)
        except UnknownKindError as error:
            pending = (item.ref.api_version, item.ref.kind) in self.crd_kinds and not self.write
            if pending:  # its CRD is in the bundle but not in the cluster yet
                return ObjectResult(item.ref, Action.CREATED)
            return ObjectResult(item.ref, Action.FAILED, error=str(error))
        except KubeApiError as error:
            return ObjectResult(item.ref, Action.FAILED, error=self._describe(error, item))
        except ApplyError as error:
            return ObjectResult(item.ref, Action.FAILED, error=self.redactor.redact(str(error)))

    def _reconcile(self, item: Desired) -> ObjectResult:
        live = self.client.get(item.ref)
        self._note_adoption(item.ref, live)
        try:
            dry_run = self.client.apply(
                item.body, dry_run=True, field_manager=self.options.field_manager
            )
        except KubeApiError as error:
            if live is None and error.not_found and not self.write:
                return ObjectResult(item.ref, Action.CREATED)  # e.g. its Namespace is missing
            if not (error.immutable and live is not None):
                raise
            return self._recreate(item, live, error)
        if live is None:
            action, drift = Action.CREATED, ()
        else:
            drift = self._compare(item, live, dry_run)
            action = Action.CONFIGURED if drift else Action.UNCHANGED
        if self.write and action is not Action.UNCHANGED:
            self.client.apply(item.body, dry_run=False, field_manager=self.options.field_manager)
            log.info("%s %s", item.ref.key, action.value)
        return ObjectResult(item.ref, action, drift)

    def _note_adoption(self, ref: ResourceRef, live: dict[str, Any] | None) -> None:
        if live is not None and adopts(ref, live, self.recorded, self.parent.id):
            self.adopted.add(identity(ref))

    def _recreate(self, item: Desired, live: dict[str, Any], error: KubeApiError) -> ObjectResult:
        """An immutable field changed: delete and re-create only when the object opts in."""
        if not item.recreate_on_immutable:
            raise ImmutableFieldError(
                f"{item.ref.key}: an immutable field changed ({self._describe(error, item)}); "
                f'annotate the object with {RECREATE_ANNOTATION}: "true" to allow re-creating it'
            )
        if self.write:
            self.client.delete(item.ref, propagation="Background")
            self._wait_gone(item.ref)
            self.client.apply(item.body, dry_run=False, field_manager=self.options.field_manager)
            log.info("%s recreated", item.ref.key)
        return ObjectResult(item.ref, Action.RECREATED)

    def _compare(self, item: Desired, live: dict[str, Any], dry_run: dict[str, Any]) -> Any:
        return compare(
            live,
            dry_run,
            ignore=paths_for(self.options.ignore_rules, item.ref),
            sensitive=paths_for(self.options.sensitive_rules, item.ref),
            is_secret=item.ref.kind == "Secret",
            redactor=self.redactor,
        )

    def _prune(
        self, plan: PrunePlan | None, recorded: list[ResourceRef], desired: list[Desired]
    ) -> PruneResult:
        refs = [d.ref for d in desired]
        if plan is None or plan.refused or not self.write:
            if self.write and desired:  # keep tracking what left the bundle: a later prune
                write_inventory(
                    self.client,
                    self.parent,
                    [*recorded, *refs],
                    self.options.field_manager,
                    self.adopted,
                )
            return prune_result(plan) if plan else PruneResult()
        with self.phase("prune"):
            deleted, failed = execute_prune(self.client, plan)
        keep = [*refs, *plan.survivors, *(ref for ref, _ in failed)]
        write_inventory(self.client, self.parent, keep, self.options.field_manager, self.adopted)
        return prune_result(plan, deleted, failed)

    def _wait(self, refs: Sequence[ResourceRef], timeout: float) -> list[HealthResult]:
        return wait_healthy(self.client, refs, timeout=timeout, interval=self.options.poll_interval)

    def _wait_gone(self, ref: ResourceRef) -> None:
        deadline = time.monotonic() + self.options.establish_timeout
        while self.client.get(ref) is not None:
            if time.monotonic() >= deadline:
                raise ApplyError(f"{ref.key} was deleted for re-creation but is still there")
            time.sleep(self.options.poll_interval)

    def _describe(self, error: KubeApiError, item: Desired) -> str:
        """The error with the server's text, unless it could echo one of the object's secrets."""
        if item.sensitive:
            return f"{error} (server message withheld: the object holds secret values)"
        return f"{error}: {mask_tool_output(self.redactor.redact(error.detail))}"

    def _report(
        self,
        objects: list[ObjectResult],
        prune: PruneResult,
        health: list[HealthResult],
        errors: list[str],
    ) -> ApplyReport:
        return ApplyReport(
            environment=self.environment,
            mode=self.mode,
            revision=self.revision,
            objects=tuple(objects),
            prune=prune,
            health=tuple(health),
            errors=tuple(errors),
            timings=dict(self.timings),
            orphans=tuple(self.orphans),
        )


def _resolve(resolve: Resolver, resources: Sequence[Resource]) -> list[dict[str, Any]]:
    try:
        return resolve(resources)
    except ValidatorError:
        raise  # the resolver's errors are value-free by contract
    except Exception as error:  # anything else may carry a value in its message: drop it
        raise ApplyError(f"secret resolution failed ({type(error).__name__})") from None
