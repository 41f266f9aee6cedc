"""The policy stage: evaluate every rendered object against the environment's policies."""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from validator.model import Finding, RenderedEnvironment, Resource, Settings
from validator.policy import kyverno_cel
from validator.policy.binding_eval import ObjectContext, Outcome, evaluate_policy
from validator.policy.cel_env import CelEnvironment
from validator.policy.compiled import CompiledPolicy, compile_policy
from validator.policy.context import ClusterView, Offline, request_object
from validator.policy.documents import Binding, Policy
from validator.policy.exceptions import ExceptionSet, without_containers
from validator.policy.families import Scope
from validator.policy.family_eval import family_outcomes, scope_for
from validator.policy.fastpath import FastPath
from validator.policy.k8s_library_net import authorizer_value
from validator.policy.library import load_builtin, profile_policies
from validator.policy.loader import PolicySet, load_policy_files
from validator.policy.rego_families import RegoFamily, family_findings, load_rego_families

PolicyOutcome = tuple[str, Resource, Outcome]
_PASS, _SKIP = Outcome("pass"), Outcome("skip")


class PolicyEngine:
    def __init__(
        self,
        builtin: PolicySet,
        user: PolicySet,
        *,
        default_profile: str = "baseline",
        env_profiles: Mapping[str, str] | None = None,
        exceptions: ExceptionSet | None = None,
        offline: Offline | None = None,
        family_extras: Mapping[str, Any] | None = None,
        families: Sequence[RegoFamily] = (),
    ) -> None:
        self.builtin, self.user = builtin, user
        self.families = tuple(families)  # Gatekeeper and conftest (rego_families.py)
        self.default_profile = default_profile
        self.env_profiles = dict(env_profiles or {})
        self.exceptions = exceptions
        self.offline = offline or Offline()
        self.family_extras = dict(family_extras or {})  # test inputs for family policies
        self._scope_key: tuple[RenderedEnvironment, str | None] | None = None
        self._scope: Scope | None = None
        self._bindings: dict[str, list[Binding]] = defaultdict(list)
        for binding in [*builtin.bindings, *user.bindings]:
            self._bindings[binding.policy_name].append(binding)
        self._compiled: dict[tuple[str, str], list[CompiledPolicy]] = {}
        self._evaluated_envs: list[str] = []
        self._fast: dict[tuple[int, str], FastPath] = {}

    @classmethod
    def load(
        cls, settings: Settings, profile: str | None = None, *, today: datetime.date | None = None
    ) -> PolicyEngine:
        """`profile` overrides every environment's profile (e.g. `policy test --profile`)."""
        root = settings.repo_root
        user = load_policy_files([root / p for p in settings.policies.paths], root)
        exceptions = None
        if settings.policies.exceptions:
            path = root / settings.policies.exceptions
            exceptions = ExceptionSet.load(path, settings.policies.exceptions, today)
        env_profiles = {
            env.name: env.policy_profile for env in settings.environments if env.policy_profile
        }
        return cls(
            load_builtin(),
            user,
            default_profile=profile or settings.policies.builtin,
            env_profiles={} if profile else env_profiles,
            exceptions=exceptions,
            families=load_rego_families(settings),
        )

    def policies_for(self, environment: str) -> list[Policy]:
        profile = self.env_profiles.get(environment, self.default_profile)
        return [*profile_policies(self.builtin.policies, profile), *self.user.policies]

    def _compiled_for(self, environment: str, version: str) -> list[CompiledPolicy]:
        profile = self.env_profiles.get(environment, self.default_profile)
        key = (profile, version)
        if key not in self._compiled:
            cel_env = CelEnvironment(version)
            self._compiled[key] = [
                compile_policy(p, cel_env) for p in self.policies_for(environment)
            ]
        return self._compiled[key]

    def _prepare(self, env: RenderedEnvironment) -> _Prepared:
        compiled = self._compiled_for(env.name, env.kubernetes_version)
        view = ClusterView(
            [r.body for r in env.resources], [*self.builtin.params, *self.user.params]
        )
        cel_env = CelEnvironment(env.kubernetes_version)
        fast = self._fast.get((id(compiled), env.kubernetes_version))
        if fast is None:
            fast = self._fast[(id(compiled), env.kubernetes_version)] = FastPath(
                cel_env, compiled, self._bindings
            )
        objects = [*(r.body for r in env.resources), *self.family_extras.get("objects", [])]
        images = self.family_extras.get("images")
        libraries = kyverno_cel.library_values(kyverno_cel.register(objects, images))
        return _Prepared(_ResourceIndex(compiled), view, cel_env, fast, libraries)

    def outcomes(
        self,
        env: RenderedEnvironment,
        old_resources: Mapping[str, Resource] | None = None,
        operation: str | None = None,
    ) -> list[PolicyOutcome]:
        """Every (policy, object) result, before exceptions: what `policy test` compares."""
        prepared = self._prepare(env)
        results: list[PolicyOutcome] = []
        for resource in env.resources:
            old = (old_resources or {}).get(resource.ref.key)
            results.extend(self._object_outcomes(prepared, resource, old, operation))
            results.extend(self._family_outcomes(env, resource, old, operation))
        return results

    def _family_outcomes(
        self,
        env: RenderedEnvironment,
        resource: Resource,
        old: Resource | None,
        operation: str | None,
    ) -> list[PolicyOutcome]:
        """Kyverno ClusterPolicy, Gatekeeper, ... policies (see families.py)."""
        policies = self.user.family_policies
        if not policies:
            return []
        key = (env, operation)
        if (
            self._scope is None
            or self._scope_key is None
            or self._scope_key[0] is not env
            or self._scope_key[1] != operation
        ):
            # One scope per environment (its object list is built once); only `old` varies.
            user = self.family_extras.get("user_info")
            self._scope = scope_for(env, operation, None, self.family_extras, user)
            self._scope_key = key
        scope = dataclasses.replace(
            self._scope,
            old_body=old.body if old else None,
            operation=operation or ("UPDATE" if old else "CREATE"),
        )
        return family_outcomes(policies, resource, scope)

    def load_findings(self) -> list[Finding]:
        """Policy documents that cannot run: errors with file and line, never silence."""
        return [problem.finding() for problem in self.user.problems]

    def _object_outcomes(
        self,
        prepared: _Prepared,
        resource: Resource,
        old: Resource | None,
        operation: str | None,
        only: str | None = None,
        keep_passes: bool = True,
    ) -> list[PolicyOutcome]:
        ctx = self._context(resource, old.body if old else None, prepared, operation)
        matched, passed = prepared.fast.passed(ctx)
        fast_ids = prepared.fast.eligible_ids
        results: list[PolicyOutcome] = []
        for policy in prepared.index.candidates(ctx.info.resource):
            if only is not None and policy.name != only:
                continue
            key = id(policy)
            if key in passed:
                if keep_passes:
                    results.append((policy.name, resource, _PASS))
            elif key not in fast_ids or key in matched:
                bindings = self._bindings.get(policy.name, [])
                outcome = evaluate_policy(policy, bindings, ctx, prepared.view)
                results.append((policy.name, resource, outcome))
            elif keep_passes:
                results.append((policy.name, resource, _SKIP))
        return results

    def evaluate(
        self, env: RenderedEnvironment, old_resources: Mapping[str, Resource] | None = None
    ) -> list[Finding]:
        self._evaluated_envs.append(env.name)
        prepared = self._prepare(env)
        findings: list[Finding] = []
        for resource in env.resources:
            old = (old_resources or {}).get(resource.ref.key)
            for name, _, outcome in [
                *self._object_outcomes(prepared, resource, old, None, keep_passes=False),
                *self._family_outcomes(env, resource, old, None),
            ]:
                if outcome.findings and not self._excepted(name, resource, env, old_resources):
                    findings.extend(outcome.findings)
        findings.extend(family_findings(self.families, env, old_resources, self.exceptions))
        return findings

    def replayed(self, environment: str, used_exceptions: Iterable[int]) -> None:
        """An environment whose findings came from the findings cache: evaluated all the same."""
        self._evaluated_envs.append(environment)
        if self.exceptions is not None:
            self.exceptions.used.update(used_exceptions)

    def exception_findings(self) -> list[Finding]:
        """Call once after every environment was evaluated: expired and unused exceptions."""
        if self.exceptions is None:
            return []
        return self.exceptions.findings(self._evaluated_envs)

    def _context(
        self,
        resource: Resource,
        old_body: Mapping[str, Any] | None,
        prepared: _Prepared,
        operation: str | None,
    ) -> ObjectContext:
        view, cel_env = prepared.view, prepared.cel_env
        info = view.request(resource.body, operation or ("UPDATE" if old_body else "CREATE"))
        base = {
            "object": resource.body,
            "oldObject": old_body,
            "request": request_object(info, self.offline.user_info),
            "namespaceObject": view.namespace_object(info),
            "authorizer": authorizer_value(self.offline.authorizer_allows),
            **prepared.libraries,
        }
        shared = cel_env.activation(base)

        def activation(params: Mapping[str, Any] | None, obj: Mapping[str, Any] | None) -> Any:
            if params is None and obj is None:
                return shared
            data = dict(base, params=params)
            if obj is not None:
                data["object"] = obj
            return cel_env.activation(data)

        return ObjectContext(resource, old_body, info, view.namespace_labels(info), activation)

    def _excepted(
        self,
        policy: str,
        resource: Resource,
        env: RenderedEnvironment,
        old_resources: Mapping[str, Resource] | None,
    ) -> bool:
        if self.exceptions is None:
            return False
        for entry in self.exceptions.active_for(policy, env.name, resource.ref):
            if entry.containers:
                # A container-scoped exception applies when the object passes without them.
                trimmed = dataclasses.replace(
                    resource, body=without_containers(resource.body, entry)
                )
                old = (old_resources or {}).get(resource.ref.key)
                again = self._object_outcomes(self._prepare(env), trimmed, old, None, policy)
                if any(outcome.result in ("fail", "error") for _, _, outcome in again):
                    continue
            self.exceptions.mark_used(entry)
            return True
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class _Prepared:
    index: _ResourceIndex
    view: ClusterView
    cel_env: CelEnvironment
    fast: FastPath
    libraries: Mapping[str, Any]  # Kyverno CEL library handles (kyverno_cel)


class _ResourceIndex:
    """Policies by the plural resources their rules name, so most pairs are never looked at."""

    def __init__(self, compiled: Sequence[CompiledPolicy]) -> None:
        self.by_resource: dict[str, list[CompiledPolicy]] = defaultdict(list)
        self.wildcard: list[CompiledPolicy] = []
        for policy in compiled:
            resources = {r for rule in policy.policy.match.resource_rules for r in rule.resources}
            if resources & {"*", "*/*"}:
                self.wildcard.append(policy)
            for resource in resources - {"*", "*/*"}:
                self.by_resource[resource].append(policy)

    def candidates(self, resource: str) -> list[CompiledPolicy]:
        return [*self.by_resource.get(resource, []), *self.wildcard]
