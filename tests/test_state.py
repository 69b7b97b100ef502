"""The live picture: which jobs show a badge, and when; actions reach every view."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import config
from core.actions import Actions
from core.clock import FixedClock
from core.events import Bus, CallUpdateDismissed, ConnectionStatus, NewCallUpdateAvailable, TranscriptTurn
from core.records import Job
from core.state import CallUpdate, StateView
from store import ConversationStore, JobStore
from tests.conftest import ROOT


@pytest.fixture
def parts(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock()
    bus = Bus(clock)
    jobs = JobStore(f"sqlite:///{tmp_path / 'c.db'}", clock=clock, bus=bus)
    jobs.init_db()
    turns = ConversationStore(f"sqlite:///{tmp_path / 't.db'}", clock=clock)
    turns.init_db()
    state = StateView(jobs, turns, "simulate")
    state.load()
    bus.subscribe(state)
    settings = config.load(ROOT / "config.toml", env={}).settings
    yield bus, jobs, state, Actions(settings, bus, jobs, state)
    jobs.close()
    turns.close()


def finish(jobs: JobStore, name: str = "Akhil") -> Job:
    job = jobs.create_job("+12025550101", name, "invoice", max_retries=3)
    return jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid on Friday.")


def test_badges_show_only_while_connected(parts) -> None:  # type: ignore[no-untyped-def]
    bus, jobs, state, _ = parts
    job = finish(jobs)
    assert state.updates() == []  # not connected yet
    bus.publish(ConnectionStatus(status="connected", message="Connected."))
    assert state.updates() == [CallUpdate(job_id=job.id, contact_name="Akhil", status_summary="Paid on Friday.",
                                          status="COMPLETED_SUCCESS", outcome="success")]
    bus.publish(ConnectionStatus(status="disconnected", message="Assistant connectivity issues. Attempting to reconnect..."))
    assert state.updates() == []
    bus.publish(ConnectionStatus(status="connected", message="Connected."))
    assert len(state.updates()) == 1  # re-evaluated on connect


def test_told_or_dismissed_updates_disappear_everywhere(parts) -> None:  # type: ignore[no-untyped-def]
    bus, jobs, state, actions = parts
    seen = []
    bus.subscribe(lambda e: seen.append(e) if isinstance(e, CallUpdateDismissed) else None)
    bus.publish(ConnectionStatus(status="connected", message="Connected."))
    told, dismissed = finish(jobs, "Akhil"), finish(jobs, "Priya")
    assert len(state.updates()) == 2
    jobs.mark_informed([told.id])
    actions.dismiss_update(dismissed.id)
    assert state.updates() == []
    assert jobs.get_job(dismissed.id).update_dismissed is True
    assert [e.job_id for e in seen] == [dismissed.id]
    state.load()  # a restart keeps the dismissal
    assert state.updates() == []


def test_outside_producers_updates_until_dismissed(parts) -> None:  # type: ignore[no-untyped-def]
    bus, _, state, actions = parts
    bus.publish(NewCallUpdateAvailable(contact_name="Vendor", status_summary="Shipped."))
    [badge] = state.updates()
    assert badge.job_id < 0 and badge.contact_name == "Vendor"
    actions.dismiss_all_updates()
    assert state.updates() == []


def test_snapshot_has_everything_a_view_needs(parts) -> None:  # type: ignore[no-untyped-def]
    bus, jobs, state, _ = parts
    finish(jobs)
    bus.publish(TranscriptTurn(role="user", text="hello", session_id="s", turn_id=1))
    snap = state.snapshot().to_dict()
    json.dumps(snap)  # what the mirror sends
    assert snap["type"] == "snapshot" and snap["mode"] == "simulate"
    assert snap["connection"]["status"] == "disconnected"
    assert [j["contact_name"] for j in snap["jobs"]] == ["Akhil"]
    assert snap["transcript"][-1]["text"] == "hello"


def test_schedule_call_rejects_bad_input_without_a_row(parts) -> None:  # type: ignore[no-untyped-def]
    _, jobs, _, actions = parts
    for kwargs in (
        {"contact_name": "", "phone_number": "12", "objective": "x"},
        {"contact_name": "Akhil", "phone_number": "+12025550101", "objective": "   "},
        {"contact_name": "Nobody Known", "phone_number": "", "objective": "x"},
    ):
        with pytest.raises(ValueError):
            actions.schedule_call(**kwargs)
    assert jobs.list_jobs() == []
    job = actions.schedule_call(contact_name="Akhil", phone_number="", objective="the overdue invoice").job
    assert job.phone_number == "+12025550101"


def test_the_badges_version_moves_exactly_when_the_badges_may_change(parts) -> None:  # type: ignore[no-untyped-def]
    bus, jobs, state, actions = parts
    version, _ = state.updates_since(-1)

    def moved() -> bool:
        nonlocal version
        before, (version, updates) = version, state.updates_since(version)
        assert (updates is None) == (version == before)
        return version != before

    job = jobs.create_job("+12025550101", "Akhil", "invoice", max_retries=3)
    jobs.update_job(job.id, overall_status="PROCESSING")
    bus.publish(TranscriptTurn(role="user", text="hello", session_id="s", turn_id=1))
    assert not moved()  # nothing a badge shows
    finish(jobs, "Priya")
    assert moved()
    bus.publish(ConnectionStatus(status="connected", message="Connected."))
    assert moved()
    bus.publish(ConnectionStatus(status="connected", message="Still connected."))
    assert not moved()
    actions.dismiss_update(state.updates()[0].job_id)
    assert moved() and state.updates() == []
    bus.publish(NewCallUpdateAvailable(contact_name="Vendor", status_summary="Shipped."))
    assert moved()


def test_cancel_and_retry_now_tell_why_they_did_nothing(parts, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bus, jobs, _, actions = parts
    notices = []
    bus.subscribe(lambda e: notices.append((e.level, e.text)) if e.type == "notice" else None)
    done = finish(jobs)
    assert actions.cancel_job(done.id) is None
    assert actions.retry_now(done.id) is None
    waiting = jobs.create_job("+12025550102", "Priya", "invoice", max_retries=3)
    assert actions.retry_now(waiting.id).id == waiting.id

    def disk_full(job_id: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jobs, "cancel_job", disk_full)
    assert actions.cancel_job(waiting.id) is None
    assert notices == [
        ("warning", f"Job {done.id} has already finished; nothing to cancel."),
        ("warning", f"Job {done.id} is not waiting for a retry."),
        ("error", f"Cancelling job {waiting.id} failed: the disk is full (free some space)."),
    ]
