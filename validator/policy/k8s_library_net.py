"""Kubernetes CEL libraries for ip, cidr, url, format and the offline authorizer."""

from __future__ import annotations

import ipaddress
from typing import Any

from validator.policy import k8s_values as kv
from validator.policy.cel_decl import MAP, STRINGS, T, decl, is_valid
from validator.policy.k8s_format import VALIDATORS


def _ip(text: str) -> dict[str, Any]:
    return kv.tagged("ip", value=str(kv.parse_ip(text)))


def _is_canonical(text: str) -> bool:
    return str(kv.parse_ip(text)) == text


def _cidr(text: str) -> dict[str, Any]:
    kv.parse_cidr(text)
    return kv.tagged("cidr", value=text)


def _contains_ip(cidr: Any, ip: Any) -> bool:
    address = kv.parse_ip(ip) if isinstance(ip, str) else kv.ip_of(ip)
    return address in kv.cidr_of(cidr)


def _contains_cidr(cidr: Any, other: Any) -> bool:
    inner = kv.parse_cidr(other if isinstance(other, str) else kv.cidr_text(other))
    outer = kv.cidr_of(cidr)
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _cidr_ip(cidr: Any) -> dict[str, Any]:
    return kv.tagged("ip", value=kv.cidr_text(cidr).partition("/")[0])


def _ip_test(test: str) -> Any:
    return lambda value: bool(getattr(kv.ip_of(value), test))


def _ip_decls() -> list[Any]:
    tests = {
        "isUnspecified": "is_unspecified",
        "isLoopback": "is_loopback",
        "isLinkLocalUnicast": "is_link_local",
        "isLinkLocalMulticast": "is_multicast",
        "isGlobalUnicast": "is_global",
    }
    return [
        decl(
            "ip",
            ("k8s_ip", MAP, [T.STRING], False, _ip),
            ("k8s_cidr_ip", MAP, [MAP], True, _cidr_ip),
        ),
        decl("isIP", ("k8s_is_ip", T.BOOL, [T.STRING], False, is_valid(kv.parse_ip))),
        decl("ip.isCanonical", ("k8s_ip_canonical", T.BOOL, [T.STRING], False, _is_canonical)),
        decl("family", ("k8s_ip_family", T.INT, [MAP], True, lambda v: kv.ip_of(v).version)),
        *(
            decl(name, (f"k8s_ip_{name}", T.BOOL, [MAP], True, _ip_test(attr)))
            for name, attr in tests.items()
        ),
        decl("cidr", ("k8s_cidr", MAP, [T.STRING], False, _cidr)),
        decl("isCIDR", ("k8s_is_cidr", T.BOOL, [T.STRING], False, is_valid(kv.parse_cidr))),
        decl(
            "containsIP",
            ("k8s_cidr_contains_ip", T.BOOL, [MAP, MAP], True, _contains_ip),
            ("k8s_cidr_contains_ip_str", T.BOOL, [MAP, T.STRING], True, _contains_ip),
        ),
        decl(
            "containsCIDR",
            ("k8s_cidr_contains_cidr", T.BOOL, [MAP, MAP], True, _contains_cidr),
            ("k8s_cidr_contains_cidr_str", T.BOOL, [MAP, T.STRING], True, _contains_cidr),
        ),
        decl("masked", ("k8s_cidr_masked", MAP, [MAP], True, _masked)),
        decl(
            "prefixLength",
            ("k8s_cidr_prefix", T.INT, [MAP], True, lambda v: kv.cidr_of(v).prefixlen),
        ),
    ]


def _masked(cidr: Any) -> dict[str, Any]:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network = kv.cidr_of(cidr)
    return kv.tagged("cidr", value=str(network))


def _url_decls() -> list[Any]:
    parts = kv.url_parts
    return [
        decl("url", ("k8s_url", MAP, [T.STRING], False, kv.parse_url)),
        decl("isURL", ("k8s_is_url", T.BOOL, [T.STRING], False, is_valid(kv.parse_url))),
        decl("getScheme", ("k8s_url_scheme", T.STRING, [MAP], True, lambda u: parts(u).scheme)),
        decl("getHost", ("k8s_url_host", T.STRING, [MAP], True, lambda u: parts(u).netloc)),
        decl(
            "getHostname",
            ("k8s_url_hostname", T.STRING, [MAP], True, lambda u: parts(u).hostname or ""),
        ),
        decl(
            "getPort",
            ("k8s_url_port", T.STRING, [MAP], True, lambda u: str(parts(u).port or "")),
        ),
        decl("getEscapedPath", ("k8s_url_path", T.STRING, [MAP], True, lambda u: parts(u).path)),
        decl(
            "getQuery",
            ("k8s_url_query", T.Map(T.STRING, STRINGS), [MAP], True, kv.url_query),
        ),
    ]


def _format_decls() -> list[Any]:
    # `validate` returns {"e": problems} or {}; the compiler appends `.?e` so CEL sees the
    # optional<list<string>> Kubernetes defines (cel-expr-python cannot return optionals).
    def validate(fmt: Any, value: str) -> dict[str, list[str]]:
        problems = VALIDATORS[str(kv.untag(fmt, "format")["name"])](value)
        return {"e": problems} if problems else {}

    def named(name: str) -> dict[str, Any]:
        return {"f": kv.tagged("format", name=name)} if name in VALIDATORS else {}

    return [
        *(
            decl(f"format.{name}", (f"k8s_format_{name}", MAP, [], False, _format_of(name)))
            for name in VALIDATORS
        ),
        decl("format.named", ("k8s_format_named", MAP, [T.STRING], False, named)),
        decl("validate", ("k8s_format_validate", MAP, [MAP, T.STRING], True, validate)),
    ]


def _format_of(name: str) -> Any:
    return lambda: kv.tagged("format", name=name)


def _authz_decls() -> list[Any]:
    """The authorizer answers offline from a configured allow/deny (`authorizer.allowed`)."""

    def same(*args: Any) -> Any:
        return args[0]

    def check(authz: Any, _verb: str) -> dict[str, Any]:
        allowed = bool(kv.untag(authz, "authorizer")["allow"])
        return kv.tagged("decision", allowed=allowed, reason="offline authorizer")

    builders = ("group", "resource", "subresource", "namespace", "name")
    return [
        *(decl(b, (f"k8s_authz_{b}", MAP, [MAP, T.STRING], True, same)) for b in builders),
        decl("path", ("k8s_authz_path", MAP, [MAP, T.STRING], True, same)),
        decl("serviceAccount", ("k8s_authz_sa", MAP, [MAP, T.STRING, T.STRING], True, same)),
        decl("check", ("k8s_authz_check", MAP, [MAP, T.STRING], True, check)),
        decl(
            "allowed",
            ("k8s_decision_allowed", T.BOOL, [MAP], True, lambda d: bool(d["allowed"])),
        ),
        decl("reason", ("k8s_decision_reason", T.STRING, [MAP], True, lambda d: d["reason"])),
        decl("errored", ("k8s_decision_errored", T.BOOL, [MAP], True, lambda d: False)),
        decl("error", ("k8s_decision_error", T.STRING, [MAP], True, lambda d: "")),
    ]


def net_declarations() -> list[Any]:
    return [*_ip_decls(), *_url_decls(), *_format_decls(), *_authz_decls()]


def authorizer_value(allow: bool) -> dict[str, Any]:
    return kv.tagged("authorizer", allow=allow)
