"""Pure-Python semantics of the Kubernetes CEL library value types.

`cel-expr-python` cannot carry Python objects as CEL abstract types, so quantity, ip, cidr, url,
semver and format values travel through CEL as *tagged maps* (`{"__k8s__": kind, ...}`); the
member overloads in `k8s_library` unwrap them with the helpers here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any
from urllib.parse import parse_qs, urlsplit

TAG = "__k8s__"

_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[eE][+-]?[0-9]+)|[KMGTPE]i|[numkMGTPE]?)$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


class K8sValueError(ValueError):
    """An argument a Kubernetes library function rejects (becomes a CEL evaluation error)."""


def tagged(kind: str, **fields: Any) -> dict[str, Any]:
    return {TAG: kind, **fields}


def untag(value: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or value.get(TAG) != kind:
        raise K8sValueError(f"expected a {kind} value")
    return value


# --- quantity ---------------------------------------------------------------------------


def parse_quantity(text: str) -> Fraction:
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise K8sValueError(f"invalid quantity: {text!r}")
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return number * Fraction(10) ** int(suffix[1:])
    return number * Fraction(10) ** _DECIMAL[suffix]


def quantity_value(value: Any) -> Fraction:
    return Fraction(untag(value, "quantity")["exact"])


def make_quantity(amount: Fraction) -> dict[str, Any]:
    # The exact value is kept as a string "p/q" so the tagged map stays a plain CEL map.
    return tagged("quantity", exact=str(amount))


def quantity_from_string(text: str) -> dict[str, Any]:
    return make_quantity(parse_quantity(text))


def quantity_operand(value: Any) -> Fraction:
    return Fraction(value) if isinstance(value, int) else quantity_value(value)


def compare(left: Fraction, right: Fraction) -> int:
    return (left > right) - (left < right)


# --- semver -----------------------------------------------------------------------------


def _normalize_semver(text: str) -> str:
    """Kubernetes' normalisation: drop a leading v, pad missing minor/patch, strip leading zeros."""
    match = re.match(r"^([0-9.]+)(.*)$", text.removeprefix("v"))
    if not match:
        return text
    core, tail = match.groups()
    parts = core.split(".")
    if len(parts) > 3 or not all(parts):
        return text
    return ".".join([str(int(p)) for p in parts] + ["0"] * (3 - len(parts))) + tail


def parse_semver(text: str, normalize: bool = False) -> tuple[int, int, int, str]:
    match = _SEMVER.match(_normalize_semver(text) if normalize else text)
    if not match:
        raise K8sValueError(f"invalid semver: {text!r}")
    return int(match.group(1)), int(match.group(2)), int(match.group(3)), match.group(4) or ""


def semver_key(value: Any) -> tuple[int, int, int, int, str]:
    version = untag(value, "semver")
    pre = str(version["pre"])
    # A release sorts after its pre-releases: flag 1 for "no pre-release".
    return int(version["major"]), int(version["minor"]), int(version["patch"]), int(not pre), pre


def make_semver(text: str, normalize: bool = False) -> dict[str, Any]:
    major, minor, patch, pre = parse_semver(text, normalize)
    return tagged("semver", major=major, minor=minor, patch=patch, pre=pre)


# --- ip / cidr --------------------------------------------------------------------------


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if "%" in text:
        raise K8sValueError("IP address with zone is not allowed")
    try:
        address = ipaddress.ip_address(text)
    except ValueError as error:
        raise K8sValueError(f"invalid IP address: {text!r}") from error
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        raise K8sValueError("IPv4-mapped IPv6 address is not allowed")
    return address


def ip_of(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return parse_ip(str(untag(value, "ip")["value"]))


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    address, _, prefix = text.partition("/")
    parse_ip(address)
    if not prefix.isdigit():
        raise K8sValueError(f"invalid CIDR: {text!r}")
    return ipaddress.ip_network(text, strict=False)


def cidr_text(value: Any) -> str:
    return str(untag(value, "cidr")["value"])


def cidr_of(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return parse_cidr(cidr_text(value))


# --- url --------------------------------------------------------------------------------


def parse_url(text: str) -> dict[str, Any]:
    parts = urlsplit(text)
    if not parts.scheme and not text.startswith("/"):
        raise K8sValueError(f"URL must be absolute or an absolute path: {text!r}")
    return tagged("url", value=text)


def url_parts(value: Any) -> Any:
    return urlsplit(str(untag(value, "url")["value"]))


def url_query(value: Any) -> dict[str, list[str]]:
    return parse_qs(url_parts(value).query, keep_blank_values=True)
