"""Day-to-day Procore calls through the installed server: a filtered, paginated list, a show, a JSON create
and a multipart photo upload, each checked on the wire at the fake Procore."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from mcp import Client

from tests.end_to_end.conftest import run_session
from tests.support.fake_procore import FakeProcore


def _run(installed: Path, fake: FakeProcore, body: Any, **extra: str) -> Any:
    token = fake.state.issue()["access_token"]
    return run_session(installed, fake, body, PROCORE_ACCESS_TOKEN=token, **extra)


def test_list_with_filters_and_pagination(installed_package: Path, fake_procore: FakeProcore) -> None:
    for index in range(5):
        fake_procore.state.add_rfi(f"Question {index}", "open" if index % 2 == 0 else "closed")
    arguments = {"project_id": 7, "procore_company_id": 42, "filters": {"status": "open"}, "page": 2, "per_page": 2}

    async def body(client: Client) -> Any:
        return await client.call_tool("list_rfis_in_project", arguments)

    result = _run(installed_package, fake_procore, body)
    assert result.is_error is False, result.content
    assert [r["subject"] for r in result.structured_content["result"]] == ["Question 4"]
    sent = fake_procore.state.requests[-1]
    assert sent.path == "/rest/v1.0/projects/7/rfis"
    assert sorted(sent.query) == [("filters[status]", "open"), ("page", "2"), ("per_page", "2")]
    assert sent.headers["Procore-Company-Id"] == "42"


def test_show_one_record(installed_package: Path, fake_procore: FakeProcore) -> None:
    rfi = fake_procore.state.add_rfi("Which rebar?", "open")

    async def body(client: Client) -> Any:
        return await client.call_tool("show_rfi", {"project_id": 7, "procore_company_id": 42, "id": rfi["id"]})

    result = _run(installed_package, fake_procore, body)
    assert result.is_error is False, result.content
    assert result.structured_content == rfi
    assert fake_procore.state.requests[-1].path == f"/rest/v1.0/projects/7/rfis/{rfi['id']}"


def test_create_with_a_wrapped_json_body(installed_package: Path, fake_procore: FakeProcore) -> None:
    rfi = {"subject": "Slab depth", "question": {"body": "Is it 200 mm?"}, "rfi_manager_id": 5}

    async def body(client: Client) -> Any:
        return await client.call_tool("create_rfi", {"project_id": 7, "procore_company_id": 42, "rfi": rfi})

    result = _run(installed_package, fake_procore, body)
    assert result.is_error is False, result.content
    assert result.structured_content["subject"] == "Slab depth"
    sent = fake_procore.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/rest/v1.0/projects/7/rfis")
    assert json.loads(sent.body) == {"rfi": rfi}
    assert sent.headers["Content-Type"] == "application/json"


def test_multipart_photo_upload_from_a_local_file(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    photo = tmp_path / "slab.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\nnot-really-a-png")
    arguments = {
        "project_id": 7,
        "procore_company_id": 42,
        "image_name": "slab.png",
        "image": {"data": {"path": str(photo)}, "description": "Pour day", "private": True},
    }

    async def body(client: Client) -> Any:
        return await client.call_tool("upload_photo_to_project", arguments)

    result = _run(installed_package, fake_procore, body, PROCORE_UPLOAD_ROOT=str(tmp_path))
    assert result.is_error is False, result.content
    assert result.structured_content["size"] == photo.stat().st_size
    parts = fake_procore.state.uploads[-1]
    assert parts["image[data]"] == ("slab.png", photo.read_bytes(), "image/png")
    assert parts["image[description]"][1] == b"Pour day"
    assert parts["image[private]"][1] == b"true"
    assert parts["image_name"][1] == b"slab.png"
    assert fake_procore.state.requests[-1].query == [("project_id", "7")]


def test_upload_from_base64_and_the_upload_root(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    content = base64.b64encode(b"raw-bytes").decode()
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("secret")
    allowed = tmp_path / "uploads"
    allowed.mkdir()

    async def body(client: Client) -> Any:
        base = {"project_id": 7, "procore_company_id": 42, "image_name": "a.jpg"}
        first = await client.call_tool(
            "upload_photo_to_project", {**base, "image": {"data": {"content_base64": content, "filename": "a.jpg"}}}
        )
        second = await client.call_tool("upload_photo_to_project", {**base, "image": {"data": {"path": str(outside)}}})
        return first, second

    first, second = _run(installed_package, fake_procore, body, PROCORE_UPLOAD_ROOT=str(allowed))
    assert first.is_error is False, first.content
    assert fake_procore.state.uploads[-1]["image[data]"] == ("a.jpg", b"raw-bytes", "image/jpeg")
    assert second.is_error is True
    assert "outside the allowed upload folders; set PROCORE_UPLOAD_ROOT" in second.content[0].text
    assert str(tmp_path) not in second.content[0].text  # no absolute path comes back
    assert len(fake_procore.state.uploads) == 1
