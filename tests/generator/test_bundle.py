"""Multi-file specs: external refs bundled into one document; refs that may not be read are clear errors."""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import time
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator import bundle
from generator.bundle import MAX_REMOTE_BYTES, _HttpRedirects, _may_refer_outside, _Refused
from generator.cli import main
from generator.diagnostics import GenerationError
from generator.pipeline import Options, generate
from tests.conftest import ROOT, minimal_spec, write_spec
from tests.support.loopback import QuietHandler, serving

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


# -- remote references: bounded in size, time and where redirects may go ------------------------------------------


def _remote_ref_spec(folder: Path, url: str) -> Path:
    return _spec_with_ref(folder, f"{url}/params.yaml#/limit")


def _handler(respond: Callable[[BaseHTTPRequestHandler], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped reading: right
                respond(self)

    return Handler


def _run_cli(spec: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["generate", "--spec", str(spec), "--out", str(out), "--allow-remote-refs"])
    return code, capsys.readouterr().err


def _oversized_with_length(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(MAX_REMOTE_BYTES + 1))
    handler.end_headers()
    handler.wfile.write(b"#" * (MAX_REMOTE_BYTES + 1))


def _oversized_without_length(handler: BaseHTTPRequestHandler) -> None:
    handler.protocol_version = "HTTP/1.0"  # the body ends when the connection closes
    handler.send_response(200)
    handler.end_headers()
    for _ in range(4 * MAX_REMOTE_BYTES // (1024 * 1024)):
        handler.wfile.write(b"# a comment line that YAML would happily read\n" * (1024 * 1024 // 47))


@pytest.mark.parametrize("respond", [_oversized_with_length, _oversized_without_length])
def test_an_oversized_remote_reference_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], respond: Callable[[BaseHTTPRequestHandler], None]
) -> None:
    with serving(_handler(respond)) as url:
        code, stderr = _run_cli(_remote_ref_spec(tmp_path, url), tmp_path / "out", capsys)
    assert code == 2
    assert "the answer is larger than 8 MiB, the most a reference may be [remote-ref]" in stderr
    assert not (tmp_path / "out").exists()


def _redirect_to(target: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


@pytest.mark.parametrize("scheme", ["file", "ftp", "data"])
def test_a_redirect_to_another_scheme_than_http_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scheme: str
) -> None:
    (tmp_path / "secret.yaml").write_text("limit: {name: stolen, in: query}\n")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        target = {
            "file": f"file://{tmp_path / 'secret.yaml'}",
            "ftp": f"ftp://127.0.0.1:{port}/params.yaml",
            "data": "data:text/plain,limit:%20%7Bname:%20x,%20in:%20query%7D",
        }[scheme]
        with serving(_handler(_redirect_to(target))) as url:
            code, stderr = _run_cli(_remote_ref_spec(tmp_path, url), tmp_path / "out", capsys)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected to the FTP port
    assert code == 2
    assert f"redirected to '{target}', which is refused: only http and https" in stderr
    assert not (tmp_path / "out").exists()


def test_a_redirect_from_https_down_to_http_is_refused() -> None:
    request = urllib.request.Request("https://specs.example.com/params.yaml")
    headers = http.client.HTTPMessage()
    headers["Location"] = "http://specs.example.com/params.yaml"
    with pytest.raises(_Refused, match="never https to http"):
        _HttpRedirects().http_error_301(request, io.BytesIO(), 301, "Moved", headers)
    headers.replace_header("Location", "https://mirror.example.com/params.yaml")
    assert _HttpRedirects().redirect_request(request, io.BytesIO(), 301, "Moved", headers, headers["Location"])


def _dripping(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b"#")
        handler.wfile.flush()
        time.sleep(0.1)


def test_remote_references_have_a_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "REMOTE_DEADLINE_SECONDS", 1.0)
    started = time.monotonic()
    with serving(_handler(_dripping)) as url:
        message = _error(_remote_ref_spec(tmp_path, url), Options(allow_remote_refs=True))
    assert "not fetched in time: remote references may take 1 s in all" in message
    assert time.monotonic() - started < 5
