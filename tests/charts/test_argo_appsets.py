"""ApplicationSet generators expanded offline: list, git directories, git files, goTemplate."""

from __future__ import annotations

from pathlib import Path

from support import write_files

from validator.render.argo_appsets import expand


def _ours(url: str) -> bool:
    return url == "https://git.example.com/gitops.git"


def _appset(generators: list[dict[str, object]], template: dict[str, object], go: bool = False):
    return {"spec": {"goTemplate": go, "generators": generators, "template": template}}


def test_list_elements_fill_the_template_with_nested_keys(tmp_path: Path) -> None:
    appset = _appset(
        [{"list": {"elements": [{"cluster": "eu", "values": {"ns": "shop"}}, {"cluster": "us"}]}}],
        {
            "metadata": {"name": "shop-{{cluster}}"},
            "spec": {"destination": {"name": "{{cluster}}", "namespace": "{{values.ns}}"}},
        },
    )
    apps, notes = expand(appset, tmp_path, _ours)
    assert notes == []
    assert [a["metadata"]["name"] for a in apps] == ["shop-eu", "shop-us"]
    assert apps[0]["spec"]["destination"] == {"name": "eu", "namespace": "shop"}
    assert apps[1]["spec"]["destination"]["namespace"] == "{{values.ns}}"  # unknown: left as is
    assert apps[0]["kind"] == "Application"


def test_git_files_flatten_their_keys_and_add_path_parameters(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "clusters/eu/config.json": '{"cluster": {"name": "eu-1", "address": "https://eu"}}',
        "clusters/us/config.json": '{"cluster": {"name": "us-1", "address": "https://us"}}',
        "clusters/us/other.yaml": "ignored: true\n",
    })  # fmt: skip
    appset = _appset(
        [{"git": {"repoURL": "https://git.example.com/gitops.git",
                  "files": [{"path": "clusters/**/config.json"}]}}],
        {"metadata": {"name": "{{cluster.name}}-{{path.basename}}"},
         "spec": {"source": {"path": "{{path}}"},
                  "destination": {"server": "{{cluster.address}}"}}},
    )  # fmt: skip
    apps, notes = expand(appset, tmp_path, _ours)
    assert notes == []
    assert [(a["metadata"]["name"], a["spec"]["source"]["path"]) for a in apps] == [
        ("eu-1-eu", "clusters/eu"),
        ("us-1-us", "clusters/us"),
    ]


def test_go_templates_fill_plain_fields_and_refuse_functions(tmp_path: Path) -> None:
    write_files(tmp_path, {"apps/api/a.yaml": "x: 1\n", "apps/web/a.yaml": "x: 1\n"})
    directories = {"git": {"repoURL": "https://git.example.com/gitops.git",
                           "directories": [{"path": "apps/*"}]}}  # fmt: skip
    plain = _appset(
        [directories],
        {"metadata": {"name": "{{ .path.basename }}"},
         "spec": {"destination": {"namespace": "{{ index .path.segments 0 }}"}}},
        go=True,
    )  # fmt: skip
    apps, notes = expand(plain, tmp_path, _ours)
    assert [(a["metadata"]["name"], a["spec"]["destination"]["namespace"]) for a in apps] == [
        ("api", "apps"),
        ("web", "apps"),
    ]
    functions = _appset([directories], {"metadata": {"name": "{{ .path.basename | upper }}"}}, True)
    apps, notes = expand(functions, tmp_path, _ours)
    assert apps == [] and "not supported offline" in notes[0]


def test_generators_needing_a_live_argo_cd_or_another_repository_are_notes(tmp_path: Path) -> None:
    appset = _appset(
        [{"clusters": {}},
         {"git": {"repoURL": "https://tok:en@other.example.com/x.git", "directories": []}}],
        {"metadata": {"name": "x"}},
    )  # fmt: skip
    apps, notes = expand(appset, tmp_path, _ours)
    assert apps == []
    assert "clusters generator needs a live Argo CD" in notes[0]
    assert "another repository (https://other.example.com/x.git)" in notes[1]
    assert "tok:en" not in " ".join(notes)
