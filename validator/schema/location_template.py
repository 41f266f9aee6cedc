"""`schema.locations` entries in kubeconform's template syntax, expanded per kind.

A location is a file path or an http(s) URL holding Go-template fields, for example the
CRDs-catalog layout `https://host/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`.
The fields and their values follow kubeconform, so a location written for it works here:

  {{.Group}}                        the API group ("cert-manager.io"; the version for core kinds)
  {{.ResourceKind}}                 the kind, lower-cased ("certificate")
  {{.ResourceAPIVersion}}           the version part of apiVersion ("v1")
  {{.KindSuffix}}                   "-" + first label of the group + "-" + version
                                    ("-cert-manager-v1")
  {{.NormalizedKubernetesVersion}}  "v" + the environment's version ("v1.33.0")
  {{.StrictSuffix}}                 "-strict" (schemas are always checked strictly)

A location that does not end in "json" is a base in kubernetes-json-schema's layout, and the
keyword `default` is that project's published copy, as in kubeconform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from validator.model import ConfigError

DEFAULT_LOCATION = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master"
_STANDALONE_LAYOUT = (
    "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
    "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
_FIELD = re.compile(r"\{\{-?\s*\.([A-Za-z]+)\s*-?\}\}")
FIELDS = frozenset(
    {
        "Group",
        "ResourceKind",
        "ResourceAPIVersion",
        "KindSuffix",
        "NormalizedKubernetesVersion",
        "StrictSuffix",
    }
)


@dataclass(frozen=True, slots=True)
class Location:
    template: str  # the full template, after `default` and the standalone layout are applied
    configured: str  # as written in the configuration, for messages

    @property
    def is_url(self) -> bool:
        return self.template.startswith(("http://", "https://"))

    def expand(self, api_version: str, kind: str, kubernetes_version: str) -> str:
        values = template_values(api_version, kind, kubernetes_version)
        return _FIELD.sub(lambda match: values[match.group(1)], self.template)


def parse_location(configured: str) -> Location:
    """A configured location, checked: only the fields above, nothing else between braces."""
    template = DEFAULT_LOCATION if configured == "default" else configured
    if not template.endswith("json"):
        template = template.rstrip("/") + _STANDALONE_LAYOUT
    for match in _FIELD.finditer(template):
        if match.group(1) not in FIELDS:
            raise ConfigError(
                f"schema.locations: {configured!r} uses {{{{.{match.group(1)}}}}}; "
                f"known fields: {', '.join(sorted(FIELDS))}"
            )
    if "{{" in _FIELD.sub("", template) or "}}" in _FIELD.sub("", template):
        raise ConfigError(
            f"schema.locations: {configured!r} has a template expression other than "
            "{{.Field}}; only plain fields are supported"
        )
    if template.startswith("http://") or template.startswith("https://"):
        return Location(template, configured)
    if "://" in template:
        raise ConfigError(f"schema.locations: {configured!r} is neither a file nor an http(s) URL")
    return Location(template, configured)


def template_values(api_version: str, kind: str, kubernetes_version: str) -> dict[str, str]:
    group, _, version = api_version.rpartition("/")
    first = (group or version).split(".")[0].lower()
    suffix = f"-{first}-{version.lower()}" if group else f"-{version.lower()}"
    patch = kubernetes_version if kubernetes_version.count(".") >= 2 else f"{kubernetes_version}.0"
    return {
        "Group": group or version,
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": version,
        "KindSuffix": suffix,
        "NormalizedKubernetesVersion": "v" + patch.removeprefix("v"),
        "StrictSuffix": "-strict",
    }
