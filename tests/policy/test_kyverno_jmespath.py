"""Kyverno's JMESPath: the Unknown-key error, variable substitution and every custom function
(results as Kyverno's function docs and tests give them)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from validator.policy.kyverno import jp_time
from validator.policy.kyverno.jp import JMESPathError, NotFoundError, search
from validator.policy.kyverno.variables import VariableError, substitute


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    moment = datetime.datetime(2024, 3, 5, 10, 20, 30, tzinfo=datetime.UTC)
    jp_time.CLOCK[0] = lambda: moment
    yield
    jp_time.CLOCK[0] = lambda: datetime.datetime.now(datetime.UTC)


DATA = {"request": {"object": {"metadata": {"name": "web", "labels": {"app": "x"}}}}}


def test_missing_key_on_a_path_is_an_error_but_null_inside_functions_and_or() -> None:
    with pytest.raises(NotFoundError, match='Unknown key "namespace"'):
        search("request.object.metadata.namespace", DATA)
    assert search("request.object.metadata.namespace || 'none'", DATA) == "none"
    assert search("length(request.object.metadata.annotations || `{}`)", DATA) == 0
    assert search("request.object.metadata.labels.app == 'x'", DATA) is True


def test_substitution_typed_spliced_nested_and_escaped() -> None:
    context = {"a": {"n": 3, "s": "web", "ref": "{{ a.s }}"}}
    assert substitute("{{ a.n }}", context) == 3
    assert substitute("name-{{ a.s }}-{{ a.n }}", context) == "name-web-3"
    assert substitute("x-{{ a.ref }}", context) == "x-web"  # spliced text is rescanned
    assert substitute("x-{{- a.ref }}", context) == "x-{{ a.s }}"  # shallow: not rescanned
    assert substitute("{{ a.ref }}", context) == "{{ a.s }}"  # a lone variable is its value
    assert substitute("\\{{ a.s }}", context) == "{{ a.s }}"
    with pytest.raises(VariableError):
        substitute("{{ a.missing }}", context)


def test_delete_reads_the_old_object() -> None:
    context = {"request": {"object": None, "oldObject": {"metadata": {"name": "old"}}}}
    assert substitute("{{ request.object.metadata.name }}", context, delete=True) == "old"


CASES: list[tuple[str, Any]] = [
    ("compare('a', 'b')", -1),
    ("equal_fold('Go', 'GO')", True),
    ("replace('aaa', 'a', 'b', `2`)", "bba"),
    ("replace('aaa', 'a', 'b', `-1`)", "bbb"),
    ("replace_all('a.b.c', '.', '/')", "a/b/c"),
    ("to_upper('abc')", "ABC"),
    ("to_lower('ABC')", "abc"),
    ("trim('--x--', '-')", "x"),
    ("trim_prefix('docker.io/nginx', 'docker.io/')", "nginx"),
    ("split('a,b', ',')", ["a", "b"]),
    ("truncate('kyverno', `3`)", "kyv"),
    ("path_canonicalize('/a//b/../c')", "/a/c"),
    ("regex_match('^[0-9]+$', '123')", True),
    ("regex_match('^[0-9]+$', `123`)", True),
    ("regex_replace_all('([a-z]+)-([0-9]+)', 'abc-12', '$2-$1')", "12-abc"),
    ("regex_replace_all_literal('[0-9]', 'a1b2', '$')", "a$b$"),
    ("pattern_match('nginx:*', 'nginx:1.2')", True),
    ('label_match(`{"app": "x"}`, `{"app": "x", "tier": "y"}`)', True),
    ("to_boolean('TRUE')", True),
    ("semver_compare('1.2.3', '>=1.2.0 <2.0.0')", True),
    ("semver_compare('2.0.0', '>=1.2.0 <2.0.0')", False),
    ("base64_encode('hi')", "aGk="),
    ("base64_decode('aGk=')", "hi"),
    ("sha256('x')", "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
    ("sha1('x')", "11f6ad8ec52a2984abaafd7c3b516503785c2072"),
    ("md5('x')", "9dd4e461268c8034f5c8564e155c67a6"),
    ("random('[a-z]{4}')", "aaaa"),
    ("parse_json('{\"a\": [1]}')", {"a": [1]}),
    ("parse_yaml('a: 1')", {"a": 1}),
    ("lookup(`{\"a\": 1}`, 'a')", 1),
    ("lookup(`[1, 2]`, `1`)", 2),
    ("items(`{\"b\": 2, \"a\": 1}`, 'k', 'v')", [{"k": "a", "v": 1}, {"k": "b", "v": 2}]),
    ('object_from_lists(`["a", "b"]`, `[1]`)', {"a": 1, "b": None}),
    ("image_normalize('nginx')", "docker.io/nginx:latest"),
    ("add(`1`, `2`)", 3.0),
    ("add('1Gi', '512Mi')", "1536Mi"),
    ("add('1h', '30s')", "1h0m30s"),
    ("subtract('1Gi', '512Mi')", "512Mi"),
    ("multiply('250m', `4`)", "1"),
    ("multiply('1h', `2`)", "2h0m0s"),
    ("divide(`10`, `4`)", 2.5),
    ("divide('1Gi', '512Mi')", 2.0),
    ("modulo(`7`, `3`)", 1.0),
    ("sum(`[1, 2, 3]`)", 6.0),
    ("sum(['1Gi', '1Gi'])", "2Gi"),
    ("round(`3.14159`, `2`)", 3.14),
    ("time_now_utc()", "2024-03-05T10:20:30Z"),
    ("time_now()", "2024-03-05T10:20:30Z"),
    ("time_utc('2024-03-05T12:00:00+02:00')", "2024-03-05T10:00:00Z"),
    ("time_diff('2024-03-05T10:00:00Z', '2024-03-05T11:30:00Z')", "1h30m0s"),
    ("time_add('2024-03-05T10:00:00Z', '90m')", "2024-03-05T11:30:00Z"),
    ("time_truncate('2024-03-05T10:47:00Z', '1h')", "2024-03-05T10:00:00Z"),
    ("time_parse('2006-01-02', '2024-03-05')", "2024-03-05T00:00:00Z"),
    ("time_parse('1136239445', '1709634030')", "2024-03-05T10:20:30Z"),
    ("time_since('', '2024-03-05T10:00:00Z', '2024-03-05T10:00:05Z')", "5s"),
    ("time_since('', '2024-03-05T10:20:00Z', '')", "30s"),
    ("time_to_cron('2024-03-05T10:20:30Z')", "20 10 5 3 2"),
    ("time_before('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')", True),
    ("time_after('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')", False),
    ("time_between('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z')", True),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
def test_custom_function(expression: str, expected: Any) -> None:
    assert search(expression, {}) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "to_boolean('yes')",
        "add('1Gi', `1`)",
        "add('1h', '30m')",  # '30m' is 30 milli (a quantity), as in Kyverno
        "divide(`1`, `0`)",
        "modulo(`1.5`, `1`)",
        "sum(`[]`)",
        "is_external_url('https://example.com')",
        "x509_decode('x')",
        "no_such_function('x')",
    ],
)
def test_function_errors_are_errors(expression: str) -> None:
    with pytest.raises(JMESPathError):
        search(expression, {})


def test_a_function_on_a_null_left_side_is_null_so_projections_drop_it() -> None:
    data = {"containers": [{"resources": {"limits": {}}}, {"name": "no-resources"}]}
    assert search("containers[].resources.keys(@)[]", data) == ["limits"]
