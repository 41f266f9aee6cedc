"""Fuzz harnesses for the parsers that take untrusted text (issue 10, item 9).

Each harness takes one generated input and checks the contract: the parser returns, or raises
only its documented error type — never another exception, a hang or a RecursionError — and
messages never repeat the input. `HARNESSES` maps a name to (strategy, harness); the pytest
module runs each briefly with its seed corpus, `run.py` (make fuzz) for a fixed time.
"""

from __future__ import annotations

import contextlib
import json
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from validator.bundle.manifest import BundleError, BundleManifest, object_bytes, sha256_hex
from validator.bundle.verify import verify_files
from validator.guarded import yaml_problem
from validator.masking import Masker
from validator.render.inputs import collect_inputs
from validator.render.yamlnodes import located_document, parse_pointer, walk
from validator.secrets.references import check_reference, find_references
from validator.secrets.sops_config import SopsConfigInvalid, parse_sops_config
from validator.secrets.sops_load import load_sops_document
from validator.secrets.sops_metadata import metadata_problems
from validator.secrets.sops_text import SopsParseError
from validator.secrets.sops_values import EncFormatError, parse_enc

SOPS_SUFFIXES = [".yaml", ".json", ".env", ".ini"]
ALNUM = string.ascii_letters + string.digits
YAMLISH = st.text(alphabet=string.printable + "äé€\u2028", max_size=400)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _enc_like() -> st.SearchStrategy[str]:
    b64 = st.text(alphabet=string.ascii_letters + string.digits + "+/=", max_size=60)
    kind = st.sampled_from(["str", "int", "float", "bool", "bytes", "comment", "x"])
    return st.builds(
        lambda d, i, t, k: f"ENC[AES256_GCM,data:{d},iv:{i},tag:{t},type:{k}]", b64, b64, b64, kind
    ) | st.text(max_size=80)


def sops_enc(value: str) -> None:
    try:
        parse_enc(value)
    except EncFormatError as error:
        assert len(value) < 16 or value not in str(error)


def sops_metadata(metadata: Any) -> None:
    for problem in metadata_problems(metadata):
        assert isinstance(problem, str)


def sops_document(case: tuple[str, str]) -> None:
    suffix, text = case
    with contextlib.suppress(SopsParseError):
        load_sops_document(f"secret.enc{suffix}", text)


def secret_references(text: str) -> None:
    for expression in find_references(text):
        check_reference(expression, ("vault", "sops"), None)


def sops_config(text: str) -> None:
    with contextlib.suppress(SopsConfigInvalid):
        parse_sops_config(".sops.yaml", text)


def source_map(case: tuple[str, str]) -> None:
    text, pointer = case
    document = located_document(text)
    if document is not None:
        walk(document, parse_pointer(pointer), None)


def kustomization(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "kustomization.yaml").write_text(text, encoding="utf-8")
        collect_inputs(Path(scratch))


def guarded_scan(text: str) -> None:
    problem = yaml_problem(text)
    assert problem is None or (problem[0] >= 1 and problem[1])


def masker(case: tuple[list[str], str]) -> None:
    values, filler = case
    text = filler.join(values) + f" password: {values[0]}"
    masked = Masker(values).mask(text, limit=10**6)
    for value in values:
        assert value not in masked


def _bundle() -> dict[str, bytes]:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    data = object_bytes(body)
    manifest = json.dumps(
        {
            "schemaVersion": 1,
            "tool": {"name": "gitops-validator", "version": "0"},
            "environment": "e",
            "kubernetesVersion": "1.33",
            "gitRevision": None,
            "configDigest": "sha256:0",
            "findings": {"blocking": False},
            "objects": [
                {"file": "objects/c.json", "apiVersion": "v1", "kind": "ConfigMap"}
                | {"namespace": "n", "name": "c", "sha256": sha256_hex(data)}
            ],
            "digest": "",
        }
    )
    parsed = BundleManifest.from_bytes(manifest.encode())
    document = json.loads(manifest) | {"digest": parsed.computed_digest()}
    return {"bundle.json": json.dumps(document).encode(), "objects/c.json": data}


BASE_BUNDLE = _bundle()


def bundle_verification(case: tuple[str, int, bytes]) -> None:
    name, position, replacement = case
    files = dict(BASE_BUNDLE)
    original = files.get(name, b"")
    files[name] = original[:position] + replacement + original[position + len(replacement) :]
    with contextlib.suppress(BundleError):
        verify_files(files, source=Path("fuzz"))


HARNESSES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "sops_enc": (_enc_like(), sops_enc),
    "sops_metadata": (JSONISH, sops_metadata),
    "sops_document": (
        st.tuples(st.sampled_from([".yaml", ".json", ".env", ".ini"]), YAMLISH),
        sops_document,
    ),
    "secret_references": (
        st.text(alphabet=string.printable, max_size=200).map(lambda t: "ref+vault://" + t)
        | st.text(max_size=200).map(lambda t: "<path:" + t + ">")
        | YAMLISH,
        secret_references,
    ),
    "sops_config": (YAMLISH, sops_config),
    "source_map": (st.tuples(YAMLISH, st.text(alphabet="/~01abc-", max_size=30)), source_map),
    "kustomization": (YAMLISH, kustomization),
    "guarded_scan": (YAMLISH, guarded_scan),
    "masker": (
        st.tuples(
            st.lists(
                st.text(alphabet=string.ascii_letters + string.digits, min_size=3, max_size=20),
                min_size=1,
                max_size=5,
            ),
            st.text(max_size=20),
        ),
        masker,
    ),
    "bundle_verification": (
        st.tuples(
            st.sampled_from(["bundle.json", "objects/c.json", "bundle.sig", "objects/extra.json"]),
            st.integers(min_value=0, max_value=600),
            st.binary(max_size=40),
        ),
        bundle_verification,
    ),
}

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str) -> list[Any]:
    """The seed inputs of one harness: JSON files under corpus/<name>/."""
    directory = CORPUS / name
    if not directory.is_dir():
        return []
    return [_seed(json.loads(path.read_text())) for path in sorted(directory.glob("*.json"))]


def _seed(value: Any) -> Any:
    """JSON has no tuples or bytes: lists become tuples, {"hex": …} becomes bytes."""
    if isinstance(value, dict) and set(value) == {"hex"}:
        return bytes.fromhex(value["hex"])
    if isinstance(value, list) and value and value[0] == "tuple":
        return tuple(_seed(item) for item in value[1:])
    return value
