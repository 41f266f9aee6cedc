"""Gatekeeper in the policy-family registry (families.py): its documents are claimed there so
the loader does not report them as unsupported; they are evaluated by rego_families.py, which
sees a whole environment at once (data.inventory is built once per environment)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from validator.policy.families import Document, Loaded
from validator.policy.gatekeeper.family import claims


class _GatekeeperDocuments:
    name = "gatekeeper"

    def claims(self, body: Mapping[str, Any]) -> bool:
        return claims(body)

    def load(self, documents: Sequence[Document]) -> Loaded:
        return Loaded()


GATEKEEPER_DOCUMENTS = _GatekeeperDocuments()
