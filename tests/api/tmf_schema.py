"""TM Forum's published schemas (../shared/specs/tmf/, OpenAPI 3.0) as a JSON-schema validator
that resolves their $refs. OpenAPI's `discriminator` (which JSON schema ignores) is honoured: an
object whose `@type` the mapping names is checked against that schema, so a `oneOf` of
look-alike references (PartyRef, PartyRoleRef) does not fail for matching two."""

import functools
from pathlib import Path

import jsonschema
import yaml
from django.conf import settings

# Beside the project (../shared/specs/tmf/), from the main checkout or from a worktree of it.
SPECS = next(
    folder / "shared" / "specs" / "tmf"
    for folder in Path(settings.BASE_DIR).parents
    if (folder / "shared" / "specs" / "tmf").is_dir()
)
FILES = {
    "TMF678": "TMF678-CustomerBill-v5.0.0.oas.yaml",
    "TMF644": "TMF644-Privacy-v5.0.0.oas.yaml",
}


def _discriminated(node):
    if isinstance(node, list):
        return [_discriminated(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _discriminated(value) for key, value in node.items()}
    mapping = node.get("discriminator", {}).get("mapping", {})
    if "oneOf" in node and mapping:
        node["anyOf"] = node.pop("oneOf")
        node.setdefault("allOf", [])
        node["allOf"] = node["allOf"] + [
            {
                "if": {"properties": {"@type": {"const": name}}, "required": ["@type"]},
                "then": {"$ref": target},
            }
            for name, target in mapping.items()
        ]
    return node


@functools.cache
def _components(api: str) -> dict:
    with (SPECS / FILES[api]).open() as spec:
        return _discriminated(yaml.safe_load(spec))["components"]


def tmf_validate(api: str, component: str, instance) -> None:
    """Raise jsonschema's ValidationError unless `instance` is a valid `component` of `api`."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": _components(api)}
    jsonschema.Draft7Validator(schema).validate(instance)
