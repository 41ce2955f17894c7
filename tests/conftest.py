"""Shared fixtures: project paths, the optional ../shared folder, and small spec builders."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.pipeline import Generation, generate
from tests.support.postgres import PostgresServer, missing_reason, running_postgres

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "procore.yaml"
CONFIG = ROOT / "specs" / "procore.config.yaml"
# A small spec of this project's own for tests of the command line itself (quick: nine operations).
FEATURES = ROOT / "tests" / "fixtures" / "specs" / "features.yaml"
GENERATED = ROOT / "generated" / "procore-mcp"
SHARED = ROOT.parent / "shared"
_GENERATED_TOOLS = json.loads((GENERATED / "src" / "procore_mcp" / "tools.json").read_text(encoding="utf-8"))["tools"]
OPERATIONS = len(_GENERATED_TOOLS)
"""Tools the Procore package has: one per operation of specs/procore.yaml (all listed in static mode)."""
HYBRID_LISTED = sum(1 for entry in _GENERATED_TOOLS if entry["binding"].get("curated")) + 3
"""Tools its default (hybrid) mode lists: the curated operations and the three catalog meta-tools."""


def procore_config_copy(folder: Path, **settings: Any) -> Path:
    """The Procore config written into `folder` with `settings` changed, its `include_specs` still found."""
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    raw["include_specs"] = [str(CONFIG.parent / name) for name in raw.get("include_specs", [])]
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({**raw, **settings}, sort_keys=False), encoding="utf-8")
    return path


@functools.cache
def procore_generation() -> Generation:
    """specs/procore.yaml with its config, generated once per test process (each xdist worker) and shared by
    every test that reads it: nothing may change it."""
    return generate(SPEC, CONFIG)


@pytest.fixture
def procore() -> Generation:
    """The Procore spec's generation (see `procore_generation`)."""
    return procore_generation()


@pytest.fixture
def shared_dir() -> Path:
    """`../shared`, or a skip that says why: a user's fresh clone does not have it."""
    if not (SHARED / "specs").is_dir():
        pytest.skip("../shared is absent: reference specs are only beside the project on developer machines and CI")
    return SHARED


def minimal_spec(**paths: Any) -> dict[str, Any]:
    """A small valid OpenAPI 3.0 document; `paths` given as keyword pairs path=path_item."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Example API", "version": "1.0"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths
        or {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "summary": "List things",
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }


def write_spec(folder: Path, document: dict[str, Any], name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def spec_with_a_quirk(folder: Path) -> Path:
    """A valid spec whose response schema has `required: []`: generation repairs it with one warning."""
    document = minimal_spec()
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"type": "object", "required": []}}
    }
    return write_spec(folder, document)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server per test process, started on loopback (skipped, with the reason, where it cannot)."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, then a PostgreSQL database (a test using it runs on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'team.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()
