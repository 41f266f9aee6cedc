"""CEL as the API server and Kyverno evaluate it: orValue on plain values, optional selection on
null, and Kyverno's CEL libraries (resource.Get/List from objects, time.now,
parseServiceAccount; http, globalContext and registry lookups unavailable offline)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from validator.policy import CelCompileError, kyverno_cel
from validator.policy.cel_env import CelEnvironment


def run(expression: str, kyverno: bool = False, objects: Any = (), **data: Any) -> Any:
    env = CelEnvironment("1.33", kyverno=kyverno)
    handle = kyverno_cel.register(list(objects))
    activation = env.activation({**kyverno_cel.library_values(handle), **data})
    return env.compile(expression).evaluate(activation)


def test_or_value_on_a_plain_value_returns_the_value() -> None:
    assert run("object.a.orValue(3)", object={"a": 5}).value == 5
    assert run("object.?a.orValue(3)", object={}).value == 3
    assert run("object.a.b.orValue([]).size()", object={"a": {"b": [1, 2]}}).value == 2


def test_optional_selection_on_null_is_absent() -> None:
    pod = {"spec": {"containers": [{"name": "a", "securityContext": None}]}}
    result = run(
        "object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))",
        object=pod,
    )
    assert (result.error, result.value) == (None, True)
    assert run("has(object.spec.x)", object={"spec": {"x": None}}).value is False


CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "allowed", "namespace": "default"},
    "data": {"a": "1"},
}


def test_resource_get_and_list_answer_from_the_objects() -> None:
    get = run('resource.Get("v1", "configmaps", "default", "allowed").data.a', True, [CONFIG])
    assert get.value == "1"
    listed = run('resource.List("v1", "configmaps", "default").items.size()', True, [CONFIG])
    assert listed.value == 1
    missing = run('resource.Get("v1", "configmaps", "default", "gone")', True, [CONFIG])
    assert "not among the repository's objects" in str(missing.error)


@pytest.mark.parametrize(
    "expression",
    [
        'http.Get("https://example.com").allowed',
        'http.Post("https://example.com", {"a": 1}).allowed',
        'globalContext.Get("deployments", "")',
        'image.GetMetadata("nginx:1").config',
    ],
)
def test_network_libraries_compile_and_are_unavailable_offline(expression: str) -> None:
    result = run(expression, True)
    assert result.value is None
    assert "not available offline" in str(result.error)


def test_time_now_and_parse_service_account() -> None:
    moment = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    kyverno_cel.CLOCK[0] = lambda: moment
    try:
        assert run("time.now() > timestamp('2023-12-31T00:00:00Z')", True).value is True
    finally:
        kyverno_cel.CLOCK[0] = lambda: datetime.datetime.now(datetime.UTC)
    result = run("parseServiceAccount('system:serviceaccount:shop:web').Namespace", True)
    assert result.value == "shop"


def test_a_validating_admission_policy_cannot_call_kyverno_functions() -> None:
    with pytest.raises(CelCompileError, match="Kyverno CEL library function"):
        CelEnvironment("1.33").compile('resource.List("v1", "pods", "").items.size() > 0')
