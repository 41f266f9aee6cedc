"""Semantic versions and Helm's version constraints (the Masterminds/semver v3 dialect).

Supported: `*`/`x`/empty (any), exact versions, partial versions as wildcards (`1.2` = `1.2.x`),
`= != > >= < <=`, `^` and `~` (`~>` too), hyphen ranges (`1.2 - 1.4.5`), AND by comma or space,
OR by `||`. A prerelease version is a candidate only when the constraint names a prerelease,
as Helm does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_VERSION = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)
_PART = re.compile(r"^v?(?P<parts>[0-9xX*]+(?:\.[0-9xX*]+){0,2})(?:-(?P<pre>[0-9A-Za-z.-]+))?$")
_TERM = re.compile(r"^(?P<op>\^|~>|~|>=|<=|!=|=>|=<|>|<|=)?\s*(?P<version>\S+)$")


class ConstraintError(ValueError):
    pass


@dataclass(frozen=True, order=False)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    original: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = _VERSION.match(text.strip())
        if not match:
            return None
        pre = match["pre"]
        return cls(
            int(match["major"]),
            int(match["minor"] or 0),
            int(match["patch"] or 0),
            tuple(pre.split(".")) if pre else (),
            text.strip(),
        )

    def key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after its prereleases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __str__(self) -> str:
        return self.original or f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class _Bound:
    op: str  # one of = != > >= < <=
    version: Version

    def allows(self, candidate: Version) -> bool:
        a, b = candidate.key(), self.version.key()
        return {
            "=": a == b,
            "!=": a != b,
            ">": a > b,
            ">=": a >= b,
            "<": a < b,
            "<=": a <= b,
        }[self.op]


@dataclass(frozen=True)
class _Group:
    """Bounds that must all hold; `prerelease` when one of them names a prerelease."""

    bounds: tuple[_Bound, ...]
    prerelease: bool

    def allows(self, candidate: Version) -> bool:
        if candidate.prerelease and not self.prerelease:
            return False
        return all(bound.allows(candidate) for bound in self.bounds)


@dataclass(frozen=True)
class Constraint:
    text: str
    groups: tuple[_Group, ...]

    @classmethod
    def parse(cls, text: str | None) -> Constraint:
        source = (text or "*").strip() or "*"
        groups = tuple(_group(part) for part in source.split("||"))
        return cls(source, groups)

    def allows(self, candidate: Version) -> bool:
        return any(group.allows(candidate) for group in self.groups)

    def best(self, versions: Iterable[str]) -> str | None:
        """The highest version that satisfies the constraint, as spelled by the source."""
        parsed = [v for v in (Version.parse(text) for text in versions) if v is not None]
        matching = [v for v in parsed if self.allows(v)]
        return str(max(matching, key=Version.key)) if matching else None

    @property
    def exact(self) -> str | None:
        """The single version this constraint names, if it names exactly one."""
        if len(self.groups) == 1 and len(self.groups[0].bounds) == 1:
            bound = self.groups[0].bounds[0]
            if bound.op == "=":
                return str(bound.version)
        return None


def _group(text: str) -> _Group:
    text = re.sub(r"\s+-\s+", " - ", text.strip())
    text = re.sub(r"(\^|~>|~|>=|<=|!=|=>|=<|>|<|=)\s+", r"\1", text)
    tokens = [t for t in re.split(r"[,\s]+", text) if t]
    bounds: list[_Bound] = []
    prerelease = False
    index = 0
    while index < len(tokens):
        if index + 2 < len(tokens) and tokens[index + 1] == "-":
            low, _ = _partial(tokens[index])
            high, high_parts = _partial(tokens[index + 2])
            bounds += [_Bound(">=", low), *_upper_inclusive(high, high_parts)]
            prerelease |= bool(low.prerelease or high.prerelease)
            index += 3
            continue
        term_bounds, term_pre = _term(tokens[index])
        bounds += term_bounds
        prerelease |= term_pre
        index += 1
    if not bounds:
        bounds = [_Bound(">=", Version(0, 0, 0))]
    return _Group(tuple(bounds), prerelease)


def _partial(text: str) -> tuple[Version, int]:
    """A possibly partial version (`1`, `1.2`, `1.x`) → (its lowest version, given parts)."""
    match = _PART.match(text)
    if not match:
        raise ConstraintError(f"invalid version constraint term '{text}'")
    numbers: list[int] = []
    for part in match["parts"].split("."):
        if part in ("x", "X", "*"):
            break
        numbers.append(int(part))
    given = len(numbers)
    numbers += [0] * (3 - given)
    pre = tuple(match["pre"].split(".")) if match["pre"] else ()
    return Version(numbers[0], numbers[1], numbers[2], pre, text), given


def _bump(version: Version, parts: int) -> Version:
    """The first version past a partial version's range (`1.2` → 1.3.0, `1` → 2.0.0)."""
    if parts <= 1:
        return Version(version.major + 1, 0, 0, ("0",))
    if parts == 2:
        return Version(version.major, version.minor + 1, 0, ("0",))
    return Version(version.major, version.minor, version.patch + 1, ("0",))


def _upper_inclusive(version: Version, parts: int) -> list[_Bound]:
    return [_Bound("<=", version)] if parts == 3 else [_Bound("<", _bump(version, parts))]


def _term(token: str) -> tuple[list[_Bound], bool]:
    match = _TERM.match(token)
    if not match:
        raise ConstraintError(f"invalid version constraint term '{token}'")
    op = {"=>": ">=", "=<": "<=", "~>": "~"}.get(match["op"] or "=", match["op"] or "=")
    version, parts = _partial(match["version"])
    pre = bool(version.prerelease)
    if parts == 0:  # `*`, `x`: anything (with `>`/`<` Masterminds treats it the same way)
        return (
            [_Bound(">=", Version(0, 0, 0))] if op != "!=" else [_Bound("<", Version(0, 0, 0))]
        ), pre
    if op == "^":
        if version.major > 0 or parts == 1:
            return [_Bound(">=", version), _Bound("<", _bump(version, 1))], pre
        if version.minor > 0 or parts == 2:
            return [_Bound(">=", version), _Bound("<", _bump(version, 2))], pre
        return [_Bound(">=", version), _Bound("<", _bump(version, 3))], pre
    if op == "~":
        return [_Bound(">=", version), _Bound("<", _bump(version, min(parts, 2)))], pre
    if parts < 3:  # partial versions are wildcards
        return _partial_bounds(op, version, parts), pre
    return [_Bound(op, version)], pre


def _partial_bounds(op: str, version: Version, parts: int) -> list[_Bound]:
    upper = _bump(version, parts)
    if op == "=":
        return [_Bound(">=", version), _Bound("<", upper)]
    if op == "!=":
        # "not in 1.2.x" needs an OR inside an AND group; charts practically never ask for it.
        raise ConstraintError(f"unsupported constraint '!={version}' on a partial version")
    if op == ">":
        return [_Bound(">=", upper)]
    if op == "<=":
        return [_Bound("<", upper)]
    return [_Bound(op, version)]  # >= and < use the floor
