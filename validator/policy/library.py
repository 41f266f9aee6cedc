"""The built-in policy library (`policies/`): discovery, profiles, `policy list`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from validator.policy.documents import Policy
from validator.policy.errors import PolicyError
from validator.policy.families import FamilyPolicy
from validator.policy.loader import PolicySet, load_policy_files

PROFILES = ("none", "baseline", "restricted", "all")
# Which library profiles (the `profile` annotation of each policy) a configured profile includes.
_INCLUDES = {
    "none": (),
    "baseline": ("baseline",),
    "restricted": ("baseline", "restricted"),
    "all": ("baseline", "restricted", "best-practice"),
}
_CACHE: dict[str, PolicySet] = {}


def builtin_dir() -> Path:
    """Installed wheels carry the library as package `validator._policies`; a checkout has it at
    the repository root."""
    try:
        packaged = Path(str(resources.files("validator").joinpath("_policies")))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - defensive
        packaged = Path("/nonexistent")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "policies"
    if checkout.is_dir():
        return checkout
    raise PolicyError("the built-in policy library is missing from this installation")


def load_builtin() -> PolicySet:
    if "lib" not in _CACHE:
        root = builtin_dir()
        _CACHE["lib"] = load_policy_files([root], root)
    return _CACHE["lib"]


def profile_policies(policies: Iterable[Policy], profile: str) -> list[Policy]:
    if profile not in _INCLUDES:
        raise PolicyError(f"unknown policy profile {profile!r}: use one of {', '.join(PROFILES)}")
    wanted = _INCLUDES[profile]
    return [p for p in policies if p.meta("profile", "best-practice") in wanted]


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    name: str
    title: str
    category: str
    severity: str
    profile: str
    description: str
    source: str
    skipped: tuple[str, ...] = ()  # parts of a family policy that are loaded but not run
    help_uri: str | None = None


# Where a person reads more about a policy's category when the policy names no page itself.
_CATEGORY_PAGES = {
    "pod-security": "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
}


def info_of(policy: Policy) -> PolicyInfo:
    category = policy.meta("category", "custom")
    return PolicyInfo(
        name=policy.name,
        title=policy.meta("title", policy.name),
        category=category,
        severity=policy.meta("severity", "error"),
        profile=policy.meta("profile", "custom"),
        description=policy.meta("description"),
        source=policy.source,
        help_uri=policy.meta("url") or _CATEGORY_PAGES.get(category),
    )


def describe_policies(
    policies: Iterable[Policy], family_policies: Iterable[FamilyPolicy] = ()
) -> list[PolicyInfo]:
    return [
        *(info_of(p) for p in policies if not p.generated),
        *(_family_info(p) for p in family_policies),
    ]


def list_policies(extra: PolicySet | None = None) -> list[PolicyInfo]:
    """The built-in library (plus `extra`, e.g. the repository's own policies), sorted."""
    policies = [*load_builtin().policies, *(extra.policies if extra else [])]
    infos = [info_of(p) for p in policies if not p.generated]
    infos += [_family_info(p) for p in (extra.family_policies if extra else [])]
    return sorted(infos, key=lambda i: i.name)


def _family_info(policy: FamilyPolicy) -> PolicyInfo:
    described = policy.describe()
    return PolicyInfo(
        name=policy.name,
        title=described.get("title", policy.name),
        category=described.get("category", policy.family),
        severity=described.get("severity", "error"),
        profile=described.get("profile", policy.family),
        description=described.get("description", ""),
        source=policy.source,
        skipped=tuple(policy.skipped),
    )
