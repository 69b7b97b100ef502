"""Calling hours, the do-not-call list, the per-number cooldown and cancel."""
from __future__ import annotations

from datetime import datetime, timezone

from calling.engine import CallingEngine
from calling.hours import callee_timezone, next_opening
from core.clock import FixedClock
from tests.calling.conftest import engine_config, finished, running, wait_for


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def test_next_opening():
    # 10:00 UTC is 05:00 in New York (January): the next opening is 09:00 local = 14:00 UTC
    assert next_opening(_utc(2026, 1, 5, 10), "09:00-20:00", "America/New_York") == _utc(2026, 1, 5, 14)
    assert next_opening(_utc(2026, 1, 5, 15), "09:00-20:00", "America/New_York") is None
    # after hours: tomorrow morning
    assert next_opening(_utc(2026, 1, 6, 2), "09:00-20:00", "America/New_York") == _utc(2026, 1, 6, 14)
    # a window across midnight, and the always-open one
    assert next_opening(_utc(2026, 1, 5, 23), "22:00-06:00", "UTC") is None
    assert next_opening(_utc(2026, 1, 5, 12), "22:00-06:00", "UTC") == _utc(2026, 1, 5, 22)
    assert next_opening(_utc(2026, 1, 5, 12), "00:00-24:00", "UTC") is None
    # across a DST change (US spring forward on 2026-03-08): 09:00 EDT is 13:00 UTC
    assert next_opening(_utc(2026, 3, 8, 3), "09:00-20:00", "America/New_York") == _utc(2026, 3, 8, 13)


def test_callee_timezone():
    assert callee_timezone("Asia/Tokyo", "+12025550101", "UTC") == "Asia/Tokyo"
    assert callee_timezone(None, "+12025550101", "UTC") == "America/New_York"
    assert callee_timezone("", "+447911123456", "UTC") == "Europe/Guernsey"  # all UK zones agree
    assert callee_timezone(None, "+33612345678", "UTC") == "Europe/Paris"
    assert callee_timezone(None, "not a number", "Europe/Berlin") == "Europe/Berlin"


def test_outside_hours_is_deferred_not_failed(sims, jobs, bus, dials, tmp_path):
    clock = FixedClock(_utc(2026, 1, 5, 10))  # 05:00 in New York, 19:00 in Tokyo
    jobs.clock = clock
    cfg = engine_config(sims, tmp_path, calling_hours="09:00-20:00")
    ny = jobs.create_job("+12025550101", "Akhil", "confirm", max_retries=1)
    tokyo = jobs.create_job("+12025550106", "Lee", "confirm", max_retries=1, timezone="Asia/Tokyo")
    with running(CallingEngine(cfg, bus, jobs, clock=clock)):
        deferred = wait_for(lambda: (j := jobs.get_job(ny.id)) and j.next_retry_at and j, 20)
        wait_for(lambda: finished(jobs, tokyo.id), 30)
    assert deferred.overall_status == "PENDING"
    assert deferred.next_retry_at == "2026-01-05T14:00:00.000Z"
    assert "outside calling hours" in deferred.last_error and "America/New_York" in deferred.last_error
    assert jobs.attempts_for_job(ny.id) == []
    assert len(jobs.attempts_for_job(tokyo.id)) == 1  # 19:00 in Tokyo: inside its hours


def test_do_not_call_is_refused_without_dialing(sims, jobs, bus, dials, tmp_path):
    cfg = engine_config(sims, tmp_path, do_not_call=["+1 (202) 555-0101"])
    job = jobs.create_job("+12025550101", "Akhil", "confirm", max_retries=1)
    with running(CallingEngine(cfg, bus, jobs)):
        done = wait_for(lambda: finished(jobs, job.id), 20)
    assert done.overall_status == "DECLINED" and "do-not-call" in done.last_error
    assert jobs.attempts_for_job(job.id) == [] and dials.ultravox() == {} and dials.twilio() == {}


def test_cooldown_defers_a_second_call_to_the_same_number(sims, jobs, bus, dials, tmp_path):
    cfg = engine_config(sims, tmp_path, cooldown_min=30)
    first = jobs.create_job("+12025550101", "Akhil", "confirm A", max_retries=1)
    second = jobs.create_job("+12025550101", "Akhil", "confirm B", max_retries=1)
    with running(CallingEngine(cfg, bus, jobs)):
        wait_for(lambda: finished(jobs, first.id), 30)
        held = wait_for(lambda: (j := jobs.get_job(second.id)) and j.next_retry_at and j, 20)
    started = jobs.attempts_for_job(first.id)[0].started_at
    assert held.overall_status == "PENDING" and "called less than 30 min ago" in held.last_error
    assert held.next_retry_at > started and held.next_retry_at[:13] >= started[:13]
    assert jobs.attempts_for_job(second.id) == []


def test_cancel_a_waiting_job(sims, jobs, bus, recorder, tmp_path):
    job = jobs.create_job("+12025550101", "Akhil", "confirm", max_retries=1)
    assert jobs.cancel_job(job.id, "not needed any more").overall_status == "CANCELLED"
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        pass
    assert jobs.attempts_for_job(job.id) == []


def test_cancel_during_the_call_hangs_up_both_legs(sims, jobs, bus, recorder, dials, tmp_path):
    job = jobs.create_job("+12025550109", "Ravi", "walk through the contract", max_retries=1)  # long_call
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        wait_for(lambda: any(len(e.messages) >= 4 for e in recorder.of("call_transcript_progress")), 30,
                 what="the call to be under way")
        assert jobs.cancel_job(job.id, "the user changed their mind").overall_status == "PROCESSING"
        done = wait_for(lambda: finished(jobs, job.id), 20)
    assert done.overall_status == "CANCELLED"
    assert "changed their mind" in done.final_summary_for_main_agent
    attempt = jobs.attempts_for_job(job.id)[0]
    assert attempt.attempt_outcome == "CANCELLED" and attempt.phase == "DECIDED"
    leg = sims.twilio.legs[attempt.twilio_call_sid]
    assert leg.status == "completed" and sims.ultravox.live_calls() == []
    # cancelled because somebody asked: no badge is announced (they know the outcome)
    assert [e for e in recorder.of("new_call_update_available") if e.job_id == job.id] == []
    transcript_len = len(recorder.of("call_transcript_progress")[-1].messages)
    assert transcript_len < 60  # hung up before the end
