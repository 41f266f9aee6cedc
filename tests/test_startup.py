"""`--version` and `envs` start without importing the heavy parts (measured in bench/)."""

from __future__ import annotations

import json
import subprocess
import sys

from support import three_environments

from validator.cli.formats import FORMATS
from validator.report import WRITERS

HEAVY = ("validator.pipeline", "validator.policy", "cel_expr_python", "helm_python", "kubernetes")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_help_lists_every_writer() -> None:
    assert tuple(WRITERS) == FORMATS


def test_version_and_envs_import_no_heavy_module(demo_repo) -> None:
    code = (
        "from validator.cli.main import main\n"
        f"main(['--repo', {str(demo_repo)!r}, 'envs', '--json'])"
    )
    loaded = _imported_after(code)
    assert "validator.cli.main" in loaded
    assert not {m for m in loaded for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")}


def test_validating_without_a_chart_never_loads_helm(make_repo) -> None:
    """Helm's Go library costs ~0.1 s to load: a Kustomize-only repository never pays it."""
    repo = make_repo(three_environments())
    code = (
        "from validator.cli.main import main\n"
        f"main(['-q', '--repo', {str(repo)!r}, 'validate', '--format', 'json'])"
    )
    loaded = _imported_after(code)
    assert "validator.pipeline" in loaded
    assert not {m for m in loaded if m == "helm_python" or m.startswith("helm_python.")}
