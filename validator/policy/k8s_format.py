"""The validators behind the Kubernetes CEL `format` library (`format.dns1123Label()` ...).

Each returns the list of problems (empty when valid), with Kubernetes' wording where it helps a
person fix the value.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(rf"^{_LABEL}$")
_DNS1123_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _pattern(regex: re.Pattern[str], limit: int, what: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        problems = []
        if len(value) > limit:
            problems.append(f"must be no more than {limit} characters")
        if not regex.match(value):
            problems.append(f"a {what} must match the regex {regex.pattern}")
        return problems

    return check


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    # Prefix variants validate a value that gets a random suffix: a trailing dash is fine.
    return lambda value: check(value[:-1] if value.endswith("-") else value)


def _qualified_name(value: str) -> list[str]:
    prefix, sep, name = value.rpartition("/")
    problems = _DNS1123_SUBDOMAIN_CHECK(prefix) if sep else []
    if sep and not prefix:
        problems.append("prefix part must be non-empty")
    if not name or len(name) > 63 or not _QUALIFIED.match(name):
        problems.append("name part must consist of alphanumeric characters, '-', '_' or '.'")
    return problems


def _uri(value: str) -> list[str]:
    return [] if urlsplit(value).scheme else ["must be an absolute URI"]


def _uuid(value: str) -> list[str]:
    try:
        uuid.UUID(value)
    except ValueError:
        return ["does not match the UUID format"]
    return []


def _byte(value: str) -> list[str]:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def _date(value: str) -> list[str]:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return ["invalid date"]
    return [] if len(value) == 10 else ["invalid date"]


def _datetime(value: str) -> list[str]:
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ["invalid datetime"]
    return []


_DNS1123_SUBDOMAIN_CHECK = _pattern(_DNS1123_SUBDOMAIN, 253, "lowercase RFC 1123 subdomain")
_DNS1123_LABEL_CHECK = _pattern(_DNS1123_LABEL, 63, "lowercase RFC 1123 label")
_DNS1035_LABEL_CHECK = _pattern(_DNS1035_LABEL, 63, "DNS-1035 label")

VALIDATORS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _DNS1123_LABEL_CHECK,
    "dns1123Subdomain": _DNS1123_SUBDOMAIN_CHECK,
    "dns1035Label": _DNS1035_LABEL_CHECK,
    "qualifiedName": _qualified_name,
    "dns1123LabelPrefix": _prefix(_DNS1123_LABEL_CHECK),
    "dns1123SubdomainPrefix": _prefix(_DNS1123_SUBDOMAIN_CHECK),
    "dns1035LabelPrefix": _prefix(_DNS1035_LABEL_CHECK),
    "labelValue": _pattern(_LABEL_VALUE, 63, "valid label value"),
    "uri": _uri,
    "uuid": _uuid,
    "byte": _byte,
    "date": _date,
    "datetime": _datetime,
}
