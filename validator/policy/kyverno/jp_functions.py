"""Kyverno's JMESPath functions (pkg/engine/jmespath) on the `jmespath` library's registry.

Strings, matching, encoding and data functions live here; arithmetic and time functions in
jp_arith / jp_time. Functions needing the network (is_external_url's DNS lookup) or a real
certificate parser (x509_decode) raise a clear "not available offline" error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
from typing import Any

import yaml
from jmespath import functions

from validator.policy.kyverno import jp_arith, jp_time
from validator.policy.kyverno.images import normalize_image
from validator.policy.kyverno.jp_signature import signature
from validator.policy.kyverno.values import wildcard_match

ANY: dict[str, Any] = {"types": []}
STR: dict[str, Any] = {"types": ["string"]}
NUM: dict[str, Any] = {"types": ["number"]}
STR_NUM: dict[str, Any] = {"types": ["string", "number"]}
OBJ: dict[str, Any] = {"types": ["object"]}
OBJ_ARR: dict[str, Any] = {"types": ["object", "array"]}
ARR: dict[str, Any] = {"types": ["array"]}


class FunctionError(ValueError):
    """A Kyverno JMESPath function rejected its arguments."""


def _text(value: Any) -> str:
    """ifaceToString: strings as they are, numbers formatted like Go's %v."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    raise FunctionError("argument must be a string or a number")


def go_regex(pattern: str) -> re.Pattern[str]:
    """RE2 syntax is close to Python's; named groups `(?P<n>)` are shared, `\\z` is not."""
    try:
        return re.compile(pattern.replace(r"\z", r"\Z"))
    except re.error as error:
        raise FunctionError(f"invalid regular expression {pattern!r}: {error}") from None


def _go_replacement(template: str) -> str:
    """Go's `$1`/`${name}` expansion as a Python replacement string."""
    out = template.replace("\\", "\\\\")
    out = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", out)
    return re.sub(r"\$(\d+)", r"\\g<\1>", out)


def _semver(text: str) -> tuple[int, int, int, tuple[Any, ...]] | None:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$", text)
    if not match:
        return None
    pre = (
        tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in (match.group(4) or "").split(".")
        )
        if match.group(4)
        else ()
    )
    return int(match.group(1)), int(match.group(2)), int(match.group(3)), pre


def _semver_key(version: tuple[int, int, int, tuple[Any, ...]]) -> tuple[Any, ...]:
    major, minor, patch, pre = version
    return (major, minor, patch, 0 if pre else 1, pre)


def semver_in_range(version_text: str, range_text: str) -> bool:
    """blang/semver ranges: `>=1.0.0 <2.0.0` (AND by space), `||` (OR), operators = != > >= < <=."""
    version = _semver(version_text) or (0, 0, 0, ())
    for alternative in range_text.split("||"):
        parts = alternative.split()
        if not parts:
            raise FunctionError(f"invalid semver range {range_text!r}")
        if all(_semver_part(version, part) for part in parts):
            return True
    return False


def _semver_part(version: tuple[int, int, int, tuple[Any, ...]], part: str) -> bool:
    match = re.match(r"^(>=|<=|!=|==|=|>|<)?(.+)$", part)
    if match is None:
        raise FunctionError(f"invalid semver range part {part!r}")
    op, text = match.group(1) or "=", match.group(2)
    if "x" in text or "*" in text:
        prefix = [p for p in text.split(".") if p not in ("x", "X", "*")]
        numbers = [int(p) for p in prefix]
        actual = list(version[: len(numbers)])
        return actual == numbers if op in ("=", "==") else actual != numbers
    wanted = _semver(text)
    if wanted is None:
        raise FunctionError(f"invalid semver {text!r}")
    left, right = _semver_key(version), _semver_key(wanted)
    return {
        "=": left == right,
        "==": left == right,
        "!=": left != right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


# The jmespath library is untyped: its Functions base class is Any to mypy.
_Base: Any = functions.Functions


class KyvernoFunctions(jp_arith.ArithmeticFunctions, jp_time.TimeFunctions, _Base):  # type: ignore[misc]
    # --- strings ---
    @signature(STR, STR)
    def _func_compare(self, a: str, b: str) -> int:
        return (a > b) - (a < b)

    @signature(STR, STR)
    def _func_equal_fold(self, a: str, b: str) -> bool:
        return a.casefold() == b.casefold()

    @signature(STR, STR, STR, NUM)
    def _func_replace(self, text: str, old: str, new: str, count: float) -> str:
        return text.replace(old, new, int(count)) if count >= 0 else text.replace(old, new)

    @signature(STR, STR, STR)
    def _func_replace_all(self, text: str, old: str, new: str) -> str:
        return text.replace(old, new)

    @signature(STR)
    def _func_to_upper(self, text: str) -> str:
        return text.upper()

    @signature(STR)
    def _func_to_lower(self, text: str) -> str:
        return text.lower()

    @signature(STR, STR)
    def _func_trim(self, text: str, cutset: str) -> str:
        return text.strip(cutset)

    @signature(STR, STR)
    def _func_trim_prefix(self, text: str, prefix: str) -> str:
        return text.removeprefix(prefix)

    @signature(STR, STR)
    def _func_split(self, text: str, separator: str) -> list[str]:
        if separator == "":
            return list(text)
        return text.split(separator)

    @signature(STR, NUM)
    def _func_truncate(self, text: str, length: float) -> str:
        return text[: max(int(length), 0)]

    @signature(STR)
    def _func_path_canonicalize(self, text: str) -> str:
        return posixpath.normpath(text) if text else "."

    # --- matching ---
    @signature(STR, STR_NUM)
    def _func_regex_match(self, pattern: str, value: Any) -> bool:
        return go_regex(pattern).search(_text(value)) is not None

    @signature(STR, STR_NUM, STR_NUM)
    def _func_regex_replace_all(self, pattern: str, value: Any, replacement: Any) -> str:
        return go_regex(pattern).sub(_go_replacement(_text(replacement)), _text(value))

    @signature(STR, STR_NUM, STR_NUM)
    def _func_regex_replace_all_literal(self, pattern: str, value: Any, replacement: Any) -> str:
        literal = _text(replacement)
        return go_regex(pattern).sub(lambda _: literal, _text(value))

    @signature(STR, STR_NUM)
    def _func_pattern_match(self, pattern: str, value: Any) -> bool:
        return wildcard_match(pattern, _text(value))

    @signature(OBJ, OBJ)
    def _func_label_match(self, labels: dict[str, Any], match: dict[str, Any]) -> bool:
        return all(key in match and match[key] == value for key, value in labels.items())

    @signature(STR)
    def _func_to_boolean(self, text: str) -> bool:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise FunctionError(f"to_boolean: argument must be 'true' or 'false', not {text!r}")
        return lowered == "true"

    @signature(STR, STR)
    def _func_semver_compare(self, version: str, wanted: str) -> bool:
        return semver_in_range(version, wanted)

    # --- encoding ---
    @signature(STR)
    def _func_base64_decode(self, text: str) -> str:
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except ValueError as error:
            raise FunctionError(f"base64_decode: {error}") from None

    @signature(STR)
    def _func_base64_encode(self, text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    @signature(STR)
    def _func_sha256(self, text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    @signature(STR)
    def _func_sha1(self, text: str) -> str:
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    @signature(STR)
    def _func_md5(self, text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    @signature(STR)
    def _func_random(self, pattern: str) -> str:
        # Pinned: the same policy gives the same answer on every run.
        return _fixed_string(pattern)

    # --- data ---
    @signature(STR)
    def _func_parse_json(self, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as error:
            raise FunctionError(f"parse_json: {error}") from None

    @signature(STR)
    def _func_parse_yaml(self, text: str) -> Any:
        try:
            return json.loads(json.dumps(yaml.safe_load(text), default=str))
        except yaml.YAMLError as error:
            raise FunctionError(f"parse_yaml: {error}") from None

    @signature(OBJ_ARR, STR_NUM)
    def _func_lookup(self, data: Any, key: Any) -> Any:
        if isinstance(data, dict):
            if not isinstance(key, str):
                raise FunctionError("lookup: an object needs a string key")
            return data.get(key)
        if isinstance(key, bool) or not isinstance(key, int | float) or key != int(key):
            raise FunctionError("lookup: an array needs an integer index")
        index = int(key)
        return data[index] if 0 <= index < len(data) else None

    @signature(OBJ_ARR, STR, STR)
    def _func_items(self, data: Any, key_name: str, value_name: str) -> list[dict[str, Any]]:
        if isinstance(data, dict):
            return [{key_name: k, value_name: data[k]} for k in sorted(data)]
        return [{key_name: float(i), value_name: v} for i, v in enumerate(data)]

    @signature(ARR, ARR)
    def _func_object_from_lists(self, keys: list[Any], values: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for index, key in enumerate(keys):
            if not isinstance(key, str):
                raise FunctionError("object_from_lists: keys must be strings")
            out[key] = values[index] if index < len(values) else None
        return out

    @signature(STR)
    def _func_image_normalize(self, image: str) -> str:
        return normalize_image(image)

    @signature(STR)
    def _func_is_external_url(self, url: str) -> bool:
        raise FunctionError("is_external_url needs DNS lookups: not available offline")

    @signature(STR)
    def _func_x509_decode(self, text: str) -> Any:
        raise FunctionError("x509_decode is not available offline in gitops-validator")


def _fixed_string(pattern: str) -> str:
    """A deterministic string for simple `[a-z0-9]{n}`-style patterns."""
    match = re.fullmatch(r"\[([^\]]+)\]\{(\d+)\}", pattern)
    if not match:
        raise FunctionError(f"random: unsupported pattern {pattern!r}")
    alphabet = match.group(1)
    first = alphabet[0]
    return first * int(match.group(2))
