"""postBuild substitution with Flux's envsubst semantics."""

from __future__ import annotations

import pytest

from validator.render.flux.substitute import substitute

VARIABLES = {"name": "Podinfo", "empty": "", "domain": "example.com"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${name}", "Podinfo"),
        ("host: app.${domain}", "host: app.example.com"),
        ("${missing:=dev}", "dev"),
        ("${missing:-dev}", "dev"),
        ("${empty:-dev}", "dev"),
        ("${empty-dev}", ""),
        ("${missing-dev}", "dev"),
        ("${missing:-${domain}}", "example.com"),
        ("echo $HOME $${KEEP}", "echo $HOME ${KEEP}"),
        ("$$", "$"),
        ("${#name}", "7"),
        ("${name,,}", "podinfo"),
        ("${name^^}", "PODINFO"),
        ("${name:1:3}", "odi"),
        ("${name/o/0}", "P0dinfo"),
        ("${name//o/0}", "P0dinf0"),
        ("${domain%.com}", "example"),
        ("${domain#example.}", "com"),
        ("${not a var}", "${not a var}"),
        ("unterminated ${name", "unterminated ${name"),
    ],
)
def test_expressions(text: str, expected: str) -> None:
    result = substitute(text, VARIABLES)
    assert result.text == expected
    assert result.unresolved == []


def test_an_undefined_variable_without_default_is_reported_not_raised() -> None:
    result = substitute("a: ${missing}\nb: ${name}\nc: ${missing}", VARIABLES)
    assert result.text == "a: \nb: Podinfo\nc: "
    assert result.unresolved == ["missing", "missing"]
