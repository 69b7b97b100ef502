"""Consoles, engines and other writers in separate processes on one database:
every console hears every change, with its badge, once."""
from __future__ import annotations

import sqlite3

import requests
import pytest

from core.clock import SystemClock
from store import JobStore
from tests.calling.test_crash import engine_env, start_engine
from tests.feed.conftest import MIRROR_TOKEN, console_env, job_state
from tests.helpers import wait_for

CONNECTED = ("connection_status", lambda e: e["status"] == "connected")
PRIMED = ("voice_state", lambda e: e["state"] == "primed")


@pytest.fixture
def pg_url():
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("feed") as url:
        yield url


@pytest.mark.timeout(180)
def test_a_console_without_an_engine_sees_a_job_another_console_scheduled_and_an_engine_ran(
        sims, pg_url, tmp_path, consoles):
    a = consoles(console_env(sims, pg_url, tmp_path / "a", engine=False), tmp_path / "a", "console-a")
    b = consoles(console_env(sims, pg_url, tmp_path / "b", engine=False), tmp_path / "b", "console-b")
    a.wait_for(*CONNECTED)
    b.wait_for(*CONNECTED)
    engine = start_engine(engine_env(sims, pg_url, tmp_path / "engine"), tmp_path / "engine.out", "engine-1")
    try:
        a.say("call Akhil in Operations about the overdue invoice")
        a.wait_for("tool_called", lambda e: e["name"] == "schedule_outbound_call")
        done = b.wait_for("call_job_updated", lambda e: e["job"]["overall_status"] == "COMPLETED_SUCCESS",
                          timeout=120)["job"]
        job_id = done["id"]
        badge = b.wait_for("new_call_update_available", lambda e: e["job_id"] == job_id)
        assert badge["contact_name"] == "Akhil" and badge["status_summary"] == done["final_summary_for_main_agent"]
        # B heard the whole life of the job, which neither console ran
        statuses = [e["job"]["overall_status"] for e in b.of("call_job_updated", lambda e: e["job"]["id"] == job_id)]
        assert statuses[0] == "PENDING" and "PROCESSING" in statuses
        assert any(e["job"]["lease_owner"] == "engine-1" for e in b.of("call_job_updated"))
        # the console that scheduled it, without an engine either, sees the outcome and its badge
        a.wait_for("new_call_update_available", lambda e: e["job_id"] == job_id)
        for console in (a, b):
            assert len(console.of("new_call_update_available", lambda e: e["job_id"] == job_id)) == 1
            assert not console.of("worker_state", lambda e: e["name"] == "calling"), "the engine is off"
            versions = [e["job"]["updated_at"] for e in console.of("call_job_updated",
                                                                     lambda e: e["job"]["id"] == job_id)]
            assert len(versions) == len(set(versions)), f"{console.name} showed a version twice"
    finally:
        engine.terminate()
        engine.wait(30)
    assert a.stop() == 0 and b.stop() == 0


@pytest.mark.timeout(150)
def test_two_consoles_dismissing_and_telling_stay_in_step(sims, tmp_path, consoles):
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    writer = JobStore(url)  # a third process's writes: a script, the mirror, a CLI
    writer.init_db()
    try:
        a = consoles(console_env(sims, url, tmp_path / "a", engine=False), tmp_path / "a", "console-a")
        b = consoles(console_env(sims, url, tmp_path / "b", engine=False), tmp_path / "b", "console-b")
        for console in (a, b):
            console.wait_for(*PRIMED)

        def finished(name: str, phone: str, summary: str, *, held: bool = False) -> int:
            job = writer.create_job(phone, name, f"talk to {name}", max_retries=1)
            if not held:
                writer.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent=summary)
                return job.id
            with sqlite3.connect(tmp_path / "calls.db") as db:  # a script's single write
                db.execute("UPDATE scheduled_calls SET overall_status = 'COMPLETED_SUCCESS',"
                           " final_summary_for_main_agent = ?, teller = ?, teller_until = '9999-12-31T00:00:00.000Z',"
                           " updated_at = ? WHERE id = ?", (summary, writer.teller, SystemClock().now_iso(), job.id))
            return job.id

        # Akhil's outcome is held by another teller (the writer claims it in the same write that
        # finishes it, so no console can claim it first, and does not say it):
        # neither console's assistant tells it, both show its badge
        akhil = finished("Akhil", "+12025550101", "Akhil will pay on Friday.", held=True)
        assert [j.id for j in writer.pending_updates()] == [akhil]
        for console in (a, b):
            console.wait_for("new_call_update_available", lambda e: e["job_id"] == akhil, timeout=5)

        # the operator dismisses it in console A's browser mirror: console B's badge goes too
        reply = requests.post(f"{a.mirror_url()}/api/updates/{akhil}/dismiss",
                              headers={"Authorization": f"Bearer {MIRROR_TOKEN}"}, timeout=10)
        assert reply.status_code == 200, reply.text
        b.wait_for("call_update_dismissed", lambda e: e["job_id"] == akhil, timeout=5)
        assert wait_for(lambda: (job_state(b, akhil) or {}).get("update_dismissed"), 5, what="B to have the dismissal")

        # Marco's outcome is free: exactly one console's assistant tells it, and the other hears it was told
        marco = finished("Marco", "+12025550103", "Marco confirmed the order.")
        for console in (a, b):
            wait_for(lambda c=console: (job_state(c, marco) or {}).get("main_agent_informed_user"), 30,
                     what=f"{console.name} to hear Marco's outcome was told")
        tellers = [c for c in (a, b) if c.of("transcript_turn", lambda e: e["role"] == "assistant"
                                                and "Marco confirmed the order" in e["text"])]
        assert len(tellers) == 1, [c.name for c in tellers]
        assert writer.get_job(marco).main_agent_informed_user and writer.get_job(marco).teller
        for console in (a, b):
            assert len(console.of("call_update_dismissed", lambda e: e["job_id"] == akhil)) == 1
            assert not console.of("transcript_turn", lambda e: "Akhil will pay" in e["text"])
        assert not writer.get_job(akhil).main_agent_informed_user
        assert a.stop() == 0 and b.stop() == 0
    finally:
        writer.close()
