"""The assistant's tools with hostile arguments: an id beyond any integer is
a clear "no such job", a wildcard cancels nothing, a hostile name is kept as
data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import config as config_mod
from core.clock import FixedClock
from core.events import Bus
from store import JobStore
from tests.hostile.attacks import CLICKABLE
from voice.tools import ToolBox

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def box(tmp_path: Path):
    settings = config_mod.load(ROOT / "config.toml", env={}, mode="simulate").settings
    clock = FixedClock()
    bus = Bus(clock)
    jobs = JobStore(f"sqlite:///{tmp_path / 'calls.db'}", clock=clock, bus=bus)
    jobs.init_db()
    yield ToolBox(jobs, settings, bus, clock), jobs
    jobs.close()


def call(box: ToolBox, name: str, **args: object) -> str:
    return box.run(name, json.dumps(args))


@pytest.mark.parametrize("job_id", [10**40, -(10**40), "9" * 30, 2**63])
def test_a_huge_job_id_is_a_clear_no_such_job(box, job_id):
    tools, _ = box
    for name in ("check_scheduled_call_status", "cancel_scheduled_call"):
        answer = call(tools, name, job_id=job_id)
        assert "internal error" not in answer and ("No " in answer or "no " in answer), answer


@pytest.mark.parametrize("pattern", ["%", "_", "%%", "A%"])
def test_a_wildcard_name_cancels_nothing(box, pattern):
    tools, jobs = box
    job = jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=3)
    answer = call(tools, "cancel_scheduled_call", contact_name=pattern)
    assert "nothing was cancelled" in answer, answer
    assert jobs.get_job(job.id).overall_status == "PENDING"


def test_a_hostile_name_is_scheduled_as_data(box):
    tools, jobs = box
    answer = call(tools, "schedule_outbound_call", contact_name=CLICKABLE, phone_number="+12025550123",
                  call_objective="[/x] the invoice")
    assert "Scheduled job" in answer, answer
    (job,) = jobs.list_jobs()
    assert job.contact_name == CLICKABLE and job.initial_call_objective_description == "[/x] the invoice"
