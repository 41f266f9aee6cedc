"""The masking boundary: text from an external tool is masked before it reaches any sink.

kustomize, Helm, sops, git and the API server all quote their input in their errors: a Go value
dump (`map[string]interface {}{"password":"…"}`), a byte list, a YAML excerpt, a `key: value`
pair. Whatever comes back from them passes through `Masker.mask` before it becomes a finding
message, a log line, a report or an exception: known secret values are replaced by `***`, and
the shapes that quote input are cut whatever they hold, because a masker cannot know every
secret a repository contains.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

MASK = "***"
MIN_MASKED_LENGTH = 3
MAX_MESSAGE_LENGTH = 600

# A Go value dump: `map[string]interface {}{…}`, `[]interface {}{…}`, `&v1.Secret{…}` to the end.
_GO_DUMP = re.compile(
    r"(?:map\[[^\]]*\]|\[\][\w. ]+|&?[\w.]+\.[A-Z]\w*)(?:interface \{\})?\{.*", re.S
)
# Bytes kustomize could not decode, printed as `[80 65 83 …]`.
_BYTE_LIST = re.compile(r"\[\d+(?: \d+)+\]")
# `password: s3cret`, `"token":"s3cret"`, `apiKey=s3cret` and the like.
_CREDENTIAL_PAIR = re.compile(
    r"""(?ix)
    (["']?\b[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|credential)[\w.-]*
     ["']?\s*[:=]\s*)
    ("[^"]*"|'[^']*'|[^\s,;}\]]+)
    """
)
# Tokens whose shape alone says what they are (GitHub, AWS access key ids, Slack, JWTs): masked
# wherever a tool quotes one, whether or not the repository's scan knew the value.
_TOKEN = re.compile(
    r"""(?x)
    \b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|(?:AKIA|ASIA)[0-9A-Z]{16}
    |xox[abposr]-[\w-]{10,}|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*)
    """
)
_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)


class Masker:
    """Masks known values (and their base64 form) and every value-quoting shape."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        found = {value for value in values if len(value) >= MIN_MASKED_LENGTH}
        found |= {base64.b64encode(value.encode()).decode() for value in list(found)}
        self._values = sorted(found, key=len, reverse=True)

    def with_values(self, values: Iterable[str]) -> Masker:
        return Masker([*self._values, *values])

    def mask(self, text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        text = _PEM_BLOCK.sub("[private key omitted]", text)
        text = _TOKEN.sub(MASK, text)
        text = _BYTE_LIST.sub("[...]", text)
        text = _GO_DUMP.sub("{…}", text)
        text = _CREDENTIAL_PAIR.sub(lambda match: match.group(1) + MASK, text)
        head, marker, _ = text.partition("invalid utf8 bytes")  # kustomize escapes the line next
        text = head + marker
        return text if len(text) <= limit else text[: limit - 1] + "…"


def mask_tool_output(text: str, values: Iterable[str] = (), limit: int = MAX_MESSAGE_LENGTH) -> str:
    """The one call every external tool's text goes through."""
    return Masker(values).mask(text, limit)
