"""Multi-file specs: external refs bundled into one document; refs that may not be read are clear errors."""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator.bundle import _may_refer_outside
from generator.diagnostics import GenerationError
from generator.pipeline import Options, generate
from tests.conftest import ROOT, minimal_spec, write_spec
from tests.support.loopback import serving

MULTIFILE = ROOT / "tests" / "fixtures" / "multifile" / "main.yaml"


def test_multi_file_spec_with_nested_and_circular_refs() -> None:
    generation = generate(MULTIFILE)
    listing, adding = generation.api.tools
    assert listing.input_schema["properties"]["limit"] == {
        "description": "How many pets to return.",
        "type": "integer",
        "maximum": 50,
    }
    pet = adding.input_schema["properties"]
    assert pet["name"]["description"] == "The pet's name."
    assert pet["owner"]["properties"]["pets"]["items"] == {"$ref": "#/$defs/Pet"}
    assert adding.input_schema["$defs"]["Pet"]["properties"]["owner"]["properties"]["pets"]["items"] == {
        "$ref": "#/$defs/Pet"
    }
    jsonschema.Draft202012Validator.check_schema(adding.input_schema)
    jsonschema.validate({"name": "Rex", "owner": {"pets": [{"name": "Fido"}]}}, adding.input_schema)
    assert generation.diagnostics == ()


def _error(spec: Path, options: Options | None = None) -> str:
    with pytest.raises(GenerationError) as caught:
        generate(spec, None, options)
    return "\n".join(d.render() for d in caught.value.diagnostics)


def _spec_with_ref(folder: Path, ref: str) -> Path:
    document = minimal_spec()
    document["paths"]["/things"]["get"]["parameters"] = [{"$ref": ref}]
    return write_spec(folder, document)


def test_ref_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("limit: {name: x, in: query}\n")
    (tmp_path / "spec").mkdir()
    spec = _spec_with_ref(tmp_path / "spec", "../secret.yaml#/limit")
    message = _error(spec)
    assert "ref-outside-folder" in message and "/paths/~1things/get/parameters/0/$ref" in message
    assert generate(spec, None, Options(allow_outside_refs=True)).api.tools[0].binding.arguments[0].wire_name == "x"


def test_url_ref_is_refused_without_permission(tmp_path: Path) -> None:
    spec = _spec_with_ref(tmp_path, "https://example.com/params.yaml#/limit")
    message = _error(spec)
    assert "needs network access; pass --allow-remote-refs" in message and "[remote-ref]" in message


def _serving(folder: Path) -> AbstractContextManager[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    return serving(handler)


def test_url_ref_is_followed_when_allowed(tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "params.yaml").write_text(
        yaml.safe_dump({"limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}})
    )
    with _serving(remote) as url:
        spec = _spec_with_ref(tmp_path, f"{url}/params.yaml#/limit")
        tool = generate(spec, None, Options(allow_remote_refs=True)).api.tools[0]
    assert tool.input_schema["properties"]["limit"]["type"] == "integer"


def test_missing_referenced_file(tmp_path: Path) -> None:
    spec = _spec_with_ref(tmp_path, "absent.yaml#/limit")
    message = _error(spec)
    assert "file not found" in message and "[dangling-ref]" in message


def test_markdown_files_give_their_text_where_text_belongs_and_are_never_parsed() -> None:
    generation = generate(ROOT / "tests" / "fixtures" / "hostile" / "markdown_refs" / "main.yaml")
    assert "An API of *items*: lists them." in generation.api.description
    assert "with a colon, - and [brackets that YAML would choke on." in generation.api.description
    (tool,) = generation.api.tools
    assert tool.binding.body_media_type is None
    assert [(d.kind, d.pointer) for d in generation.diagnostics] == [
        ("text-ref", "/paths/~1items/get/x-code-samples/0/source"),
        ("text-ref", "/paths/~1items/get/responses/200/content/text~1markdown/schema"),
    ]


@pytest.mark.parametrize(
    ("text", "may_refer"),
    [
        ('{"a": {"$ref": "#/components/schemas/A"}}', False),
        ("a:\n  $ref: '#/components/schemas/A'\n", False),
        ('a:\n  $ref:\n    "#/x"\n', False),
        ('{"a": {"$ref": "other.json#/A"}}', True),
        ("a:\n  $ref: other.yaml\n", True),
        ("a:\n  '$ref': \"./parts/a.yaml\"\n", True),
        ('{"a": {"\\u0024ref": "other.json"}}', True),
    ],
)
def test_quick_look_for_outward_refs_never_misses_one(tmp_path: Path, text: str, may_refer: bool) -> None:
    spec = tmp_path / "spec.txt"
    spec.write_text(text)
    assert _may_refer_outside(spec) is may_refer
