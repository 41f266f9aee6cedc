"""The AST is decoded only when an expression may call a version-gated function: the text
pre-filter must never miss such a call, or version gating would silently stop."""

from __future__ import annotations

import pytest

from validator.policy.cel_env import CelEnvironment, _may_call_gated
from validator.policy.errors import CelCompileError
from validator.policy.k8s_library import MIN_VERSION


@pytest.mark.parametrize("name", sorted(MIN_VERSION))
def test_every_gated_function_passes_the_filter(name: str) -> None:
    if name == "_?._":
        sources = ["object.?spec"]
    elif name == "_[?_]":
        sources = ["object.spec.containers[?0]"]
    else:
        short = name.rsplit(".", 1)[-1]
        sources = [f"{name}(1)", f"x.{short}(1)", f"x.{short} (1)"]
    for source in sources:
        assert _may_call_gated(source), source


def test_plain_field_reads_skip_the_ast() -> None:
    assert not _may_call_gated("object.metadata.name == 'web' && object.spec.replicas > 1")


def test_gating_still_rejects_a_newer_function() -> None:
    with pytest.raises(CelCompileError, match=r"not available in Kubernetes 1\.28"):
        CelEnvironment("1.28").compile("object.?spec.orValue({}) == {}")
    expression = CelEnvironment("1.28").compile("object.spec.replicas > 1")
    assert expression.parsed is None  # nothing gated: the AST was never decoded
