"""The task benchmark stays runnable: two of its tasks, on this server's side, against the busy fake job."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio

from tests.conftest import ROOT
from tests.support.fake_procore import running_fake_procore

sys.path.insert(0, str(ROOT / "bench"))
import tasks  # bench/ is a folder of scripts


def test_a_list_heavy_task_and_a_confirmed_delete_succeed_within_the_budget() -> None:
    for task in (tasks.TASKS[0], tasks.TASKS[5]):
        with running_fake_procore() as fake, tempfile.TemporaryDirectory() as folder:
            tasks._fill(fake)
            outcome = anyio.run(tasks._ours, task, fake, Path(folder))
        assert outcome.ok, task.name
        assert outcome.largest <= 40_000
    assert outcome.asked == 1, "the delete was confirmed by the user"
