"""Kyverno validate.pattern semantics, from the shapes Kyverno documents (anchors, operators)."""

from __future__ import annotations

from typing import Any

import pytest

from validator.policy.kyverno.pattern import match_pattern, string_patterns, validate_value


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": list(containers), **spec},
    }


LATEST_ALWAYS = {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "!Always"}]}}


def test_conditional_anchor_skips_when_the_condition_does_not_hold() -> None:
    assert match_pattern(pod({"image": "nginx:1.2"}), LATEST_ALWAYS).status == "skip"


def test_conditional_anchor_fails_when_condition_holds_and_the_rest_does_not() -> None:
    result = match_pattern(
        pod({"image": "nginx:latest", "imagePullPolicy": "Always"}), LATEST_ALWAYS
    )
    assert (result.status, result.path) == ("fail", "/spec/containers/0/imagePullPolicy/")


def test_conditional_anchor_passes_when_condition_and_rest_hold() -> None:
    container = {"image": "nginx:latest", "imagePullPolicy": "IfNotPresent"}
    assert match_pattern(pod(container), LATEST_ALWAYS).status == "pass"


def test_list_skips_only_when_every_element_skips() -> None:
    resource = pod({"image": "a:1"}, {"image": "b:latest", "imagePullPolicy": "Always"})
    assert match_pattern(resource, LATEST_ALWAYS).status == "fail"


def test_equality_anchor_checks_only_present_keys() -> None:
    pattern = {"spec": {"=(hostNetwork)": False}}
    assert match_pattern(pod(), pattern).status == "pass"
    assert match_pattern(pod(hostNetwork=False), pattern).status == "pass"
    assert match_pattern(pod(hostNetwork=True), pattern).status == "fail"


def test_negation_anchor_fails_when_the_key_is_present() -> None:
    pattern = {"spec": {"X(hostPath)": "null"}}
    assert match_pattern({"spec": {}}, pattern).status == "pass"
    result = match_pattern({"spec": {"hostPath": {"path": "/"}}}, pattern)
    assert (result.status, result.path) == ("fail", "/spec/hostPath/")


def test_existence_anchor_needs_one_matching_element() -> None:
    pattern = {"spec": {"^(containers)": [{"image": "nginx:*"}]}}
    assert match_pattern(pod({"image": "a:1"}, {"image": "nginx:2"}), pattern).status == "pass"
    assert match_pattern(pod({"image": "a:1"}), pattern).status == "fail"


def test_global_anchor_skips_the_whole_resource() -> None:
    pattern = {"spec": {"containers": [{"<(image)": "*corp.com/*", "imagePullPolicy": "Always"}]}}
    assert match_pattern(pod({"image": "docker.io/x"}), pattern).status == "skip"
    corp = {"image": "corp.com/x", "imagePullPolicy": "Never"}
    assert match_pattern(pod(corp), pattern).status == "fail"


def test_star_requires_a_present_value() -> None:
    pattern = {"metadata": {"labels": {"app": "*"}}}
    assert match_pattern({"metadata": {"labels": {"app": "x"}}}, pattern).status == "pass"
    result = match_pattern({"metadata": {"labels": {}}}, pattern)
    assert result.status == "fail"


def test_wildcard_label_keys_name_the_matching_key() -> None:
    pattern = {"metadata": {"labels": {"app.kubernetes.io/*": "?*"}}}
    body = {"metadata": {"labels": {"app.kubernetes.io/name": "web"}}}
    assert match_pattern(body, pattern).status == "pass"


def test_a_missing_conditional_key_skips_the_map() -> None:
    pattern = {"spec": {"(foo)": "bar", "containers": [{"name": "x"}]}}
    assert match_pattern(pod({"name": "y"}), pattern).status == "skip"


def test_an_anchor_key_absent_everywhere_and_another_failure_is_an_error() -> None:
    # Kyverno's KeysAreMissing: the failure has no path, so the rule errors instead of failing.
    pattern = {"spec": {"^(volumes)": [{"name": "x"}], "hostNetwork": False}}
    assert match_pattern(pod(hostNetwork=True), pattern).status == "error"
    assert match_pattern(pod(hostNetwork=False), pattern).status == "pass"


@pytest.mark.parametrize(
    ("value", "pattern", "ok"),
    [
        ("nginx:1.2", "*:latest | nginx:*", True),
        (5, ">3", True),
        (5, "<=4", False),
        ("2Gi", ">1000Mi", True),
        ("200m", "0.2", True),
        ("30s", "<1m", True),
        ("5", "1-10", True),
        (11, "1-10", False),
        (11, "1!-10", True),
        ("foo", "!bar", True),
        ("bar", "!bar", False),
        (None, "<10", True),  # a missing value compares as zero
        ("", "?*", False),
        ("x", "?*", True),
        (8080, "8080", True),
        (True, "true", True),
        ("abc", ">1 & <5", False),
    ],
)
def test_operators_in_strings(value: Any, pattern: str, ok: bool) -> None:
    assert string_patterns(value, pattern) is ok


def test_scalar_types() -> None:
    assert validate_value(True, True) and not validate_value("true", True)
    assert validate_value("3", 3) and validate_value(3.0, 3)
    assert validate_value(None, None) and validate_value("", None) and validate_value(0, None)
    assert not validate_value("x", None)
    assert validate_value({}, {"a": 1}) and not validate_value([], {"a": 1})
