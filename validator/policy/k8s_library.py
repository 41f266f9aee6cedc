"""The Kubernetes CEL libraries as `cel-expr-python` function declarations, and their versions.

`MIN_VERSION` gives, per function name, the first Kubernetes minor version whose API server
accepts it in a *new* expression (the documented availability: base.go's IntroducedVersion + 1).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from validator.policy import k8s_values as kv
from validator.policy.cel_decl import LIST, MAP, STRINGS, T, decl, is_valid
from validator.policy.k8s_format import VALIDATORS
from validator.policy.k8s_library_net import net_declarations

_QUANTITY = ("quantity", "isQuantity", "isInteger", "asInteger", "asApproximateFloat", "sign")
_COMPARE = ("add", "sub", "isLessThan", "isGreaterThan", "compareTo")
_IP = ("ip", "isIP", "ip.isCanonical", "family", "isUnspecified", "isLoopback")
_IP_MORE = ("isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast")
_CIDR = ("cidr", "isCIDR", "containsIP", "containsCIDR", "masked", "prefixLength")
_AUTHZ = ("group", "resource", "subresource", "namespace", "name", "check", "allowed")
_AUTHZ_MORE = ("reason", "errored", "error", "path", "serviceAccount")
_OPTIONAL = ("optional.of", "optional.none", "optional.ofNonZeroValue", "hasValue", "value")
_OPTIONAL_MORE = ("orValue", "or", "_?._", "_[?_]")

MIN_VERSION: dict[str, tuple[int, int]] = {
    **dict.fromkeys(_AUTHZ + _AUTHZ_MORE, (1, 28)),
    **dict.fromkeys(_OPTIONAL + _OPTIONAL_MORE + _QUANTITY + _COMPARE, (1, 29)),
    **dict.fromkeys(("format", "strings.quote"), (1, 30)),
    **dict.fromkeys(("sets.contains", "sets.equivalent", "sets.intersects"), (1, 30)),
    **dict.fromkeys(_IP + _IP_MORE + _CIDR, (1, 31)),
    **dict.fromkeys((*(f"format.{name}" for name in VALIDATORS), "format.named"), (1, 32)),
    "validate": (1, 32),
    **dict.fromkeys(("semver", "isSemver", "major", "minor", "patch"), (1, 34)),
    # strings ext v3 `reverse` is not enabled in any Kubernetes release.
    "reverse": (99, 0),
}


def _quantity_decls() -> list[Any]:
    q, num = kv.quantity_value, kv.quantity_operand

    def as_integer(v: Any) -> int:
        value = q(v)
        if value.denominator != 1 or not -(2**63) <= value < 2**63:
            raise kv.K8sValueError("quantity is not an integer or overflows int64")
        return int(value)

    return [
        decl("quantity", ("k8s_quantity", MAP, [T.STRING], False, kv.quantity_from_string)),
        decl(
            "isQuantity",
            ("k8s_is_quantity", T.BOOL, [T.STRING], False, is_valid(kv.parse_quantity)),
        ),
        decl("isInteger", ("k8s_q_is_integer", T.BOOL, [MAP], True, is_valid(as_integer))),
        decl("asInteger", ("k8s_q_as_integer", T.INT, [MAP], True, as_integer)),
        decl("asApproximateFloat", ("k8s_q_float", T.DOUBLE, [MAP], True, lambda v: float(q(v)))),
        decl("sign", ("k8s_q_sign", T.INT, [MAP], True, lambda v: kv.compare(q(v), Fraction(0)))),
        decl(
            "add",
            ("k8s_q_add", MAP, [MAP, MAP], True, lambda a, b: kv.make_quantity(q(a) + num(b))),
            ("k8s_q_add_int", MAP, [MAP, T.INT], True, lambda a, b: kv.make_quantity(q(a) + b)),
        ),
        decl(
            "sub",
            ("k8s_q_sub", MAP, [MAP, MAP], True, lambda a, b: kv.make_quantity(q(a) - num(b))),
            ("k8s_q_sub_int", MAP, [MAP, T.INT], True, lambda a, b: kv.make_quantity(q(a) - b)),
        ),
        decl("isLessThan", ("k8s_lt", T.BOOL, [MAP, MAP], True, lambda a, b: _cmp(a, b) < 0)),
        decl("isGreaterThan", ("k8s_gt", T.BOOL, [MAP, MAP], True, lambda a, b: _cmp(a, b) > 0)),
        decl("compareTo", ("k8s_cmp", T.INT, [MAP, MAP], True, _cmp)),
    ]


def _cmp(left: Mapping[str, Any], right: Mapping[str, Any]) -> int:
    """compareTo for quantities and semvers (both are tagged maps)."""
    if left.get(kv.TAG) == "semver":
        lk, rk = kv.semver_key(left), kv.semver_key(right)
        return (lk > rk) - (lk < rk)
    return kv.compare(kv.quantity_value(left), kv.quantity_value(right))


def _semver_decls() -> list[Any]:
    field = kv.untag
    return [
        decl(
            "semver",
            ("k8s_semver", MAP, [T.STRING], False, kv.make_semver),
            ("k8s_semver_norm", MAP, [T.STRING, T.BOOL], False, kv.make_semver),
        ),
        decl(
            "isSemver",
            ("k8s_is_semver", T.BOOL, [T.STRING], False, is_valid(kv.parse_semver)),
            ("k8s_is_semver_norm", T.BOOL, [T.STRING, T.BOOL], False, is_valid(kv.parse_semver)),
        ),
        *(
            decl(part, (f"k8s_semver_{part}", T.INT, [MAP], True, _field(part, "semver", field)))
            for part in ("major", "minor", "patch")
        ),
    ]


def _field(name: str, kind: str, untag: Callable[[Any, str], Mapping[str, Any]]) -> Any:
    return lambda value: untag(value, kind)[name]


def _list_decls() -> list[Any]:
    def is_sorted(items: list[Any]) -> bool:
        return all(a <= b for a, b in itertools.pairwise(items))

    return [
        decl("isSorted", ("k8s_list_sorted", T.BOOL, [LIST], True, is_sorted)),
        decl("sum", ("k8s_list_sum", T.DYN, [LIST], True, lambda xs: sum(xs))),
        decl("min", ("k8s_list_min", T.DYN, [LIST], True, lambda xs: min(xs))),
        decl("max", ("k8s_list_max", T.DYN, [LIST], True, lambda xs: max(xs))),
        decl(
            "find",
            ("k8s_find", T.STRING, [T.STRING, T.STRING], True, _find),
        ),
        decl(
            "findAll",
            ("k8s_find_all", STRINGS, [T.STRING, T.STRING], True, _find_all),
            ("k8s_find_all_n", STRINGS, [T.STRING, T.STRING, T.INT], True, _find_all),
        ),
        decl("sets.contains", ("k8s_sets_contains", T.BOOL, [LIST, LIST], False, _contains)),
        decl(
            "sets.equivalent",
            (
                "k8s_sets_equiv",
                T.BOOL,
                [LIST, LIST],
                False,
                lambda a, b: _contains(a, b) and _contains(b, a),
            ),
        ),
        decl(
            "sets.intersects",
            ("k8s_sets_inter", T.BOOL, [LIST, LIST], False, lambda a, b: any(x in a for x in b)),
        ),
    ]


def _contains(items: list[Any], wanted: list[Any]) -> bool:
    return all(x in items for x in wanted)


def _find(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    return match.group(0) if match else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    found = [m.group(0) for m in re.finditer(pattern, text)]
    return found if limit < 0 else found[:limit]


def library_declarations() -> list[Any]:
    """Every Kubernetes library function; version gating happens after type-checking.

    The lists library's `indexOf`/`lastIndexOf` are missing: cel-expr-python cannot add list
    overloads to the strings extension's functions of the same name.
    """
    return [*_quantity_decls(), *_semver_decls(), *_list_decls(), *net_declarations()]
