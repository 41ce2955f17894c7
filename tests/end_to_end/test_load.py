"""Load: 200 concurrent tool calls over streamable HTTP from several clients, each answered exactly once
with its own result, and the server's memory stable from one round to the next."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from tests.end_to_end.conftest import http_server, server_environment, with_client_credentials
from tests.support.fake_procore import FakeProcore

CLIENTS = 4
CALLS_PER_CLIENT = 50


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _round(url: str, ids: list[int]) -> dict[int, Any]:
    answers: dict[int, Any] = {}

    async def client_calls(chunk: list[int]) -> None:
        async with Client(url) as client, anyio.create_task_group() as group:
            for rfi_id in chunk:

                async def one(rfi_id: int = rfi_id) -> None:
                    arguments = {"project_id": 7, "procore_company_id": 1, "id": rfi_id}
                    result = await client.call_tool("show_rfi", arguments)
                    assert rfi_id not in answers, "answered twice"
                    answers[rfi_id] = result

                group.start_soon(one)

    async with anyio.create_task_group() as group:
        for index in range(CLIENTS):
            group.start_soon(client_calls, ids[index::CLIENTS])
    return answers


def test_200_concurrent_calls_over_http(installed_package: Path, fake_procore: FakeProcore) -> None:
    rfis = [fake_procore.state.add_rfi(f"Question {n}", "open") for n in range(CLIENTS * CALLS_PER_CLIENT)]
    ids = [rfi["id"] for rfi in rfis]
    environment = server_environment(installed_package, fake_procore, **with_client_credentials())
    with http_server(environment) as (url, process):
        anyio.run(_round, url, ids[:20])  # warm up: imports, token, connection pool
        before = _rss_kb(process.pid)
        for _ in range(2):
            answers = anyio.run(_round, url, ids)
            assert sorted(answers) == sorted(ids)
            for rfi_id, result in answers.items():
                assert result.is_error is False, result.content
                assert result.structured_content["id"] == rfi_id
                assert result.structured_content["subject"] == f"Question {rfi_id - 1001}"
        after = _rss_kb(process.pid)
    assert after - before < 40_000, f"memory grew by {after - before} KB over two rounds of 200 calls"
    served = Counter(r.path for r in fake_procore.state.requests if "/rfis/" in r.path)
    expected = Counter({f"/rest/v1.0/projects/7/rfis/{rfi_id}": 2 for rfi_id in ids}) + Counter(
        {f"/rest/v1.0/projects/7/rfis/{rfi_id}": 1 for rfi_id in ids[:20]}
    )
    # Each call asks once; a loaded machine may drop a connection, and a read is then sent again (it is safe to).
    assert all(served[path] >= count for path, count in expected.items())
    assert sum(served.values()) - sum(expected.values()) <= len(ids) // 20, "more than a few reads were sent twice"
