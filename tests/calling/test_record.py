"""Each attempt's record is what the call was when it ended: the final
Twilio status, answered_by, duration and cost; a cancelled call keeps the
transcript it had."""
from __future__ import annotations

import json

from calling.engine import CallingEngine
from tests.calling.conftest import drive, engine_config, running, wait_for

FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


def test_each_attempt_keeps_the_final_leg_status_duration_and_cost(sims, jobs, bus, tmp_path):
    cfg = engine_config(sims, tmp_path, concurrency=3, max_retries=0)
    live = jobs.create_job("+12025550101", "Akhil", "confirm the delivery", max_retries=0)
    voicemail = jobs.create_job("+12025550105", "Sam", "confirm the delivery", max_retries=0)
    busy = jobs.create_job("+12025550104", "Dana", "confirm the delivery", max_retries=0)
    with running(CallingEngine(cfg, bus, jobs)):
        for job in (live, voicemail, busy):
            drive(jobs, job.id, timeout=60)
    rate = 0.05 + 0.014
    (a_live,) = jobs.attempts_for_job(live.id)
    (a_vm,) = jobs.attempts_for_job(voicemail.id)
    (a_busy,) = jobs.attempts_for_job(busy.id)
    print(a_live.twilio_status, a_live.answered_by, a_live.duration_s, a_live.cost_usd)
    print(a_vm.twilio_status, a_vm.answered_by, a_vm.duration_s, a_vm.cost_usd)
    print(a_busy.twilio_status, a_busy.answered_by, a_busy.duration_s, a_busy.cost_usd)
    assert a_live.twilio_status == "completed" and a_live.answered_by == "human"
    assert a_live.duration_s > 0 and a_live.cost_usd == round(a_live.duration_s / 60 * rate, 6) > 0
    assert a_vm.attempt_outcome == "VOICEMAIL" and a_vm.twilio_status == "completed"
    assert a_vm.answered_by.startswith("machine")
    assert a_vm.duration_s is not None and a_vm.cost_usd == round(a_vm.duration_s / 60 * rate, 6)
    assert a_busy.twilio_status == "busy" and a_busy.cost_usd == 0


def test_a_call_cancelled_mid_way_keeps_its_transcript(sims, jobs, bus, tmp_path):
    cfg = engine_config(sims, tmp_path, max_retries=0)
    job = jobs.create_job("+12025550109", "Ravi", "walk through the release plan", max_retries=0)  # a long call
    with running(CallingEngine(cfg, bus, jobs)):
        def talking():
            attempt = jobs.open_attempt(job.id)
            if attempt is None or not attempt.ultravox_call_id:
                return None
            return len(sims.ultravox.calls[attempt.ultravox_call_id].messages) >= 4 or None
        wait_for(talking, 60, what="the call to be under way")
        jobs.cancel_job(job.id, "not needed any more")
        done = drive(jobs, job.id, timeout=60)
    (attempt,) = jobs.attempts_for_job(job.id)
    print(attempt.twilio_status, attempt.duration_s, attempt.transcript[:200] if attempt.transcript else None)
    assert done.overall_status == "CANCELLED"
    transcript = json.loads(attempt.transcript)
    assert len(transcript) >= 4 and transcript[0]["text"]
    assert attempt.twilio_status in FINAL and attempt.ended_at and attempt.cost_usd is not None


def test_a_call_cancelled_while_no_engine_ran_keeps_its_transcript(sims, jobs, bus, recorder, tmp_path):
    job = jobs.create_job("+12025550109", "Ravi", "walk through the release plan", max_retries=0)  # a long call
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        wait_for(lambda: any(len(e.messages) >= 4 for e in recorder.of("call_transcript_progress")), 60,
                 what="the call to be under way")
    assert jobs.cancel_job(job.id, "not needed any more").overall_status == "PROCESSING"
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id, timeout=60)
    (attempt,) = jobs.attempts_for_job(job.id)
    assert done.overall_status == "CANCELLED"
    assert len(json.loads(attempt.transcript or "[]")) >= 4
    assert attempt.twilio_status in FINAL and attempt.ended_at and attempt.cost_usd is not None
