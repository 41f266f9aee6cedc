"""The Kubernetes CEL environment: libraries, version gates, cost bound, variables."""

from __future__ import annotations

import pytest

from validator.policy import CelCompileError
from validator.policy.cel_env import CelEnvironment


def run(expression: str, version: str = "1.34", **data: object) -> object:
    env = CelEnvironment(version)
    result = env.compile(expression).evaluate(env.activation(data))
    assert result.error is None, result.error
    return result.value


# (expression, expected value, first Kubernetes version that has it)
LIBRARY_CASES = [
    ("quantity('1Gi').isGreaterThan(quantity('1000M'))", True, "1.29"),
    ("quantity('500m').add(quantity('1500m')).asInteger()", 2, "1.29"),
    ("isQuantity('12Q')", False, "1.29"),
    ("quantity('1.5').isInteger()", False, "1.29"),
    ("ip('10.1.2.3').family()", 4, "1.31"),
    ("ip('::1').isLoopback()", True, "1.31"),
    ("cidr('10.0.0.0/8').containsIP('10.20.30.40')", True, "1.31"),
    ("cidr('192.168.0.0/16').containsCIDR('192.168.1.0/24')", True, "1.31"),
    ("isCIDR('10.0.0.0/33')", False, "1.31"),
    ("format.dns1123Label().validate('Not_A_Label').hasValue()", True, "1.32"),
    ("format.dns1123Label().validate('web-1').hasValue()", False, "1.32"),
    ("format.named('uuid').hasValue()", True, "1.32"),
    ("semver('1.2.3').isLessThan(semver('1.10.0'))", True, "1.34"),
    ("semver('v1.2', true).minor()", 2, "1.34"),
    ("sets.contains([1, 2, 3], [2, 3])", True, "1.30"),
    ("sets.intersects([1, 2], [5, 2])", True, "1.30"),
    ("'%s-%d'.format(['web', 3])", "web-3", "1.30"),
    ("optional.of(1).orValue(2)", 1, "1.29"),
    ("authorizer.group('').resource('pods').namespace('a').check('get').allowed()", True, "1.28"),
]

ALWAYS = [
    ("url('https://example.com:8443/a?x=1').getPort()", "8443"),
    ("url('https://example.com/a?x=1&x=2').getQuery()['x']", ["1", "2"]),
    ("isURL('not a url')", False),
    ("'image:v1.2.3'.find('[0-9]+')", "1"),
    ("'a1b22c333'.findAll('[0-9]+', 2)", ["1", "22"]),
    ("[1, 2, 3].isSorted() && [3, 1, 2].sum() == 6 && [3, 1].min() == 1", True),
    ("'Hello'.lowerAscii() + ['a', 'b'].join(',')", "helloa,b"),
    ("cel.bind(x, 2, x * x)", 4),
]


@pytest.mark.parametrize(("expression", "expected", "since"), LIBRARY_CASES)
def test_library_function_works_from_its_version(
    expression: str, expected: object, since: str
) -> None:
    assert (
        run(expression, version=since, authorizer={"__k8s__": "authorizer", "allow": True})
        == expected
    )


@pytest.mark.parametrize(("expression", "expected", "since"), LIBRARY_CASES)
def test_library_function_is_a_compile_error_before_its_version(
    expression: str, expected: object, since: str
) -> None:
    major, minor = since.split(".")
    older = f"{major}.{int(minor) - 1}"
    with pytest.raises(CelCompileError, match=f"not available in Kubernetes {older}"):
        CelEnvironment(older).compile(expression)


@pytest.mark.parametrize(("expression", "expected"), ALWAYS)
def test_libraries_available_in_every_version(expression: str, expected: object) -> None:
    assert run(expression, version="1.27") == expected


def test_strings_reverse_is_not_in_any_kubernetes_release() -> None:
    with pytest.raises(CelCompileError):
        CelEnvironment("1.35").compile("'abc'.reverse()")


def test_library_errors_are_evaluation_errors_not_tracebacks() -> None:
    env = CelEnvironment("1.33")
    result = env.compile("quantity('12 apples').isInteger()").evaluate(env.activation({}))
    assert result.error is not None and "invalid quantity" in result.error


def test_runaway_expression_is_bounded_and_reported() -> None:
    env = CelEnvironment("1.33")
    expression = env.compile("object.items.all(a, object.items.all(b, object.items.all(c, true)))")
    result = expression.evaluate(env.activation({"object": {"items": list(range(200))}}))
    assert result.error == "evaluation cost budget exceeded (runaway expression)"


def test_undeclared_function_and_syntax_errors_are_compile_errors() -> None:
    env = CelEnvironment("1.33")
    with pytest.raises(CelCompileError, match="undeclared reference"):
        env.compile("object.spec.frobnicate()")
    with pytest.raises(CelCompileError, match="CEL compile error"):
        env.compile("object.spec.(")


def test_variables_are_inlined_and_unused_broken_variables_do_not_fail() -> None:
    env = CelEnvironment("1.33")
    variables = {
        "broken": "object.missing.field",
        "spec": "object.spec",
        "replicas": "variables.spec.replicas",
    }
    expression = env.compile("variables.replicas >= 2", variables)
    result = expression.evaluate(env.activation({"object": {"spec": {"replicas": 3}}}))
    assert result.value is True
    with_string = env.compile("'variables.replicas' == 'variables.replicas'", variables)
    assert with_string.evaluate(env.activation({})).value is True


def test_invalid_kubernetes_version_is_rejected() -> None:
    with pytest.raises(CelCompileError, match="invalid Kubernetes version"):
        CelEnvironment("latest")
