"""ApplicationSet → Applications for the generators that need nothing but this repository.

list (`elements`), git directories and git files (whose repoURL is this repository). The
template is filled like Argo CD does: fasttemplate `{{key}}` by default, and with `goTemplate`
the plain field form `{{ .key.sub }}`. What cannot be expanded offline (cluster, SCM,
pull-request, matrix, merge and plugin generators; Go template functions) is returned as a
note, never guessed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from validator.guarded import read_repo_yaml
from validator.render.stream import StreamError, load_documents

_FAST = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_GO = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_GO_FIELD = re.compile(r"^\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)$")
_GO_INDEX = re.compile(r"^index\s+\.path\.segments\s+(\d+)$")
MAX_GENERATED = 1000


class Unexpandable(Exception):
    pass


def expand(
    appset: Mapping[str, Any], repo_root: Path, is_ours: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    """(Applications, notes) of one ApplicationSet."""
    spec = appset.get("spec") if isinstance(appset.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    template = spec.get("template")
    if not isinstance(template, Mapping):
        return [], ["has no template"]
    go = bool(spec.get("goTemplate"))
    applications: list[dict[str, Any]] = []
    notes: list[str] = []
    for generator in spec.get("generators") or []:
        if not isinstance(generator, Mapping):
            continue
        try:
            for params in _params(generator, repo_root, is_ours):
                if len(applications) >= MAX_GENERATED:
                    raise Unexpandable(f"generates more than {MAX_GENERATED} Applications")
                applications.append(_application(template, params, go))
        except Unexpandable as reason:
            notes.append(str(reason))
    return applications, notes


def _params(generator: Mapping[str, Any], root: Path, is_ours: Any) -> Iterator[dict[str, Any]]:
    if "list" in generator:
        elements = (generator["list"] or {}).get("elements") or []
        yield from (_flatten(e) for e in elements if isinstance(e, Mapping))
        return
    git = generator.get("git")
    if isinstance(git, Mapping):
        if not is_ours(str(git.get("repoURL", ""))):
            where = _display(str(git.get("repoURL", "")))
            raise Unexpandable(f"git generator reads another repository ({where})")
        if git.get("directories"):
            yield from _directories(git["directories"], root)
        if git.get("files"):
            yield from _files(git["files"], root)
        return
    kinds = ", ".join(sorted(str(k) for k in generator if k not in ("selector", "values")))
    raise Unexpandable(f"the {kinds or 'empty'} generator needs a live Argo CD; not expanded")


def _directories(rules: list[Any], root: Path) -> Iterator[dict[str, Any]]:
    include = [r["path"] for r in rules if isinstance(r, Mapping) and not r.get("exclude")]
    exclude = [r["path"] for r in rules if isinstance(r, Mapping) and r.get("exclude")]
    for directory in _tree(root, directories=True):
        if any(_glob(p, directory) for p in include) and not any(
            _glob(p, directory) for p in exclude
        ):
            yield _path_params(directory, directory=True)


def _files(rules: list[Any], root: Path) -> Iterator[dict[str, Any]]:
    patterns = [r["path"] for r in rules if isinstance(r, Mapping) and r.get("path")]
    for file in _tree(root, directories=False):
        if not any(_glob(p, file) for p in patterns):
            continue
        # A hostile file (FIFO, /dev/zero link, alias bomb, …) is GuardError, exit 3: it must
        # not be a note that silently drops the ApplicationSet's Applications.
        text = read_repo_yaml(root, root / file)
        try:
            documents = load_documents(text)
        except StreamError as error:
            raise Unexpandable(f"git file {file} cannot be read ({error})") from None
        items = (
            documents[0] if len(documents) == 1 and isinstance(documents[0], list) else documents
        )
        for item in items:
            if isinstance(item, Mapping):
                yield {**_flatten(item), **_path_params(file, directory=False)}


def _tree(root: Path, *, directories: bool) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0].startswith(".git"):
            continue
        if path.is_dir() == directories:  # a FIFO or device is a file here, refused on read
            found.append(relative.as_posix())
    return found


def _glob(pattern: str, path: str) -> bool:
    regex = ""
    for part in re.split(r"(\*\*/?|\*|\?|\[[^\]]*\])", pattern.strip("/")):
        if part.startswith("**"):
            regex += ".*"
        elif part == "*":
            regex += "[^/]*"
        elif part == "?":
            regex += "[^/]"
        elif part.startswith("[") and part.endswith("]"):
            regex += part
        else:
            regex += re.escape(part)
    return re.fullmatch(regex, path) is not None


def _normalized(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9-.]", "-", text).lower()


def _path_params(path: str, *, directory: bool) -> dict[str, Any]:
    pure = PurePosixPath(path)
    folder = pure if directory else pure.parent
    params: dict[str, Any] = {
        "path": folder.as_posix(),
        "path.path": folder.as_posix(),
        "path.basename": folder.name,
        "path.basenameNormalized": _normalized(folder.name),
        "path.segments": list(folder.parts),
    }
    params.update({f"path[{i}]": part for i, part in enumerate(folder.parts)})
    if not directory:
        params["path.filename"] = pure.name
        params["path.filenameNormalized"] = _normalized(pure.name)
    return params


def _flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        flat[name] = item
        if isinstance(item, Mapping):
            flat.update(_flatten(item, name + "."))
    return flat


def _application(template: Mapping[str, Any], params: dict[str, Any], go: bool) -> dict[str, Any]:
    body = _fill(copy.deepcopy(dict(template)), params, go)
    assert isinstance(body, dict)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **body}


def _fill(node: Any, params: dict[str, Any], go: bool) -> Any:
    if isinstance(node, dict):
        return {_fill(k, params, go): _fill(v, params, go) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(item, params, go) for item in node]
    if isinstance(node, str):
        return _go(node, params) if go else _FAST.sub(lambda m: _fast(m, params), node)
    return node


def _fast(match: re.Match[str], params: dict[str, Any]) -> str:
    key = match.group(1)
    if key not in params:
        return match.group(0)  # fasttemplate leaves unknown keys as they are
    return _text(params[key])


def _go(text: str, params: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        index = _GO_INDEX.match(expression)
        if index:
            segments = params.get("path.segments") or []
            position = int(index.group(1))
            if position < len(segments):
                return _text(segments[position])
        field = _GO_FIELD.match(expression)
        if field and field.group(1) in params:
            return _text(params[field.group(1)])
        raise Unexpandable(f"Go template expression '{expression}' is not supported offline")

    return _GO.sub(one, text)


def _display(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rsplit('@', 1)[-1]}{slash}{path}" if sep else url


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
