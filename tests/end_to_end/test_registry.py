"""The generated package's registry metadata: server.json valid against the MCP Registry's schema, and one
version everywhere."""

from __future__ import annotations

import json
import tomllib

import jsonschema

from tests.conftest import GENERATED, ROOT

SCHEMA = ROOT / "tests" / "fixtures" / "registry" / "server.schema.json"


def test_server_json_is_valid_for_the_registry() -> None:
    entry = json.loads((GENERATED / "server.json").read_text())
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(entry)
    package = entry["packages"][0]
    assert (package["registryType"], package["identifier"], package["transport"]) == (
        "pypi",
        "procore-mcp",
        {"type": "stdio"},
    )
    names = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert names["PROCORE_CLIENT_SECRET"]["isSecret"] is True
    assert {"PROCORE_CLIENT_ID", "PROCORE_COMPANY_ID", "PROCORE_BASE_URL", "PROCORE_LOGIN_URL"} <= set(names)


def test_the_schema_rejects_what_the_registry_rejects() -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    entry = json.loads((GENERATED / "server.json").read_text())
    assert not validator.is_valid({**entry, "name": "no-namespace"})
    assert not validator.is_valid({**entry, "description": "x" * 101})
    assert not validator.is_valid({**entry, "packages": [{**entry["packages"][0], "version": "latest"}]})


def test_one_version_moves_with_spec_and_generator() -> None:
    pyproject = tomllib.loads((GENERATED / "pyproject.toml").read_text())
    provenance = json.loads((GENERATED / "provenance.json").read_text())
    entry = json.loads((GENERATED / "server.json").read_text())
    api = json.loads((GENERATED / "src" / "procore_mcp" / "api.json").read_text())
    version = pyproject["project"]["version"]
    assert version == entry["version"] == provenance["packageVersion"] == api["version"]
    assert version.startswith(provenance["apiVersion"] + ".")
