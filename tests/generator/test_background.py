"""Validation beside the build: the forked helper, and the pipeline giving the same verdicts with it as without."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from generator.background import Pending, can_fork
from generator.diagnostics import GenerationError
from generator.pipeline import Options, build_model

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
INVALID_INFO = HOSTILE.parent / "left_out" / "invalid_info.yaml"
"""Invalid outside its operations and components: refused whichever way it is validated."""
needs_fork = pytest.mark.skipif(not can_fork(), reason="runs in the caller where fork is unavailable")


def _process_id(_: int) -> int:
    return os.getpid()


def _fail(message: str) -> None:
    raise ValueError(message)


@needs_fork
def test_the_function_runs_in_another_process_and_its_value_comes_back() -> None:
    pending = Pending(_process_id, 0)
    assert pending.in_background
    assert pending.result() != os.getpid()
    assert not pending.in_background
    assert pending.result() == pending.result()  # collected once


def test_without_background_the_function_runs_in_the_caller_once() -> None:
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    pending = Pending(count, background=False)
    assert not pending.in_background and calls == []
    assert pending.result() == 1 and pending.result() == 1


@needs_fork
def test_an_error_in_the_child_is_raised_in_the_caller_without_a_traceback_on_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    pending = Pending(_fail, "the reason")
    with pytest.raises(ValueError, match="the reason"):
        pending.result()
    assert "Traceback" not in capfd.readouterr().err


@needs_fork
def test_cancel_stops_the_child() -> None:
    pending = Pending(time.sleep, 600)
    child = pending._process.pid
    pending.cancel()
    assert not pending.in_background
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left sleeping
        os.kill(child, 0)


def test_background_validation_refuses_what_inline_validation_refuses() -> None:
    verdicts = []
    for background in (False, True):
        with pytest.raises(GenerationError) as caught:
            build_model(INVALID_INFO, options=Options(validate_in_background=background))
        verdicts.append([d.render() for d in caught.value.diagnostics])
    assert verdicts[0] == verdicts[1] and verdicts[0]


def test_an_operation_the_validator_refuses_is_left_out_inline_and_in_the_background() -> None:
    results = []
    for background in (False, True):
        api, diagnostics = build_model(
            HOSTILE / "invalid_operation.yaml", options=Options(validate_in_background=background)
        )
        results.append(([tool.name for tool in api.tools], [d.render() for d in diagnostics]))
    assert results[0] == results[1]
    names, warnings = results[0]
    assert names == ["list_items"]
    assert len(warnings) == 1 and "[invalid-operation]" in warnings[0] and "(at /paths/~1items/post)" in warnings[0]
    with pytest.raises(GenerationError):
        build_model(HOSTILE / "invalid_operation.yaml", options=Options(strict=True))


def test_an_invalid_document_is_refused_with_its_own_errors_inline_and_in_the_background(tmp_path: Path) -> None:
    # A security scheme without its type: whichever way validation runs, the reader is told what is wrong.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /items:\n    get:\n      operationId: listItems\n      responses: {'200': {description: ok}}\n"
        "components:\n  securitySchemes:\n    key: {name: key, in: header}\n"
    )
    for background in (False, True):
        with pytest.raises(GenerationError) as caught:
            build_model(spec, options=Options(validate_in_background=background))
        found = caught.value.diagnostics
        assert found and all(d.kind == "invalid-openapi" for d in found), found


def _stumble(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the build tripped")


@pytest.mark.parametrize("background", [False, True])
def test_a_build_failure_gives_way_to_the_documents_errors_and_surfaces_when_there_are_none(
    background: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("generator.pipeline.build_api", _stumble)
    with pytest.raises(GenerationError):
        build_model(INVALID_INFO, options=Options(validate_in_background=background))
    with pytest.raises(RuntimeError, match="the build tripped"):
        build_model(HOSTILE / "no_operations.yaml", options=Options(validate_in_background=background))
