"""The operator hangs up the live call without cancelling the job: both legs
end as a cancel ends them, the attempt is recorded "hung up by the operator",
and the job goes on as after any ended call (the strategist reads what was
said; a call nobody answered yet is tried again later)."""
from __future__ import annotations

import json

import pytest

from calling.engine import CallingEngine
from store import JobStore
from tests.calling.conftest import engine_config, running, wait_for

LONG_CALL = "+12025550109"
NO_ANSWER = "+12025550103"


def _decided(jobs, job_id):
    attempts = jobs.attempts_for_job(job_id)
    return attempts[-1] if attempts and attempts[-1].phase == "DECIDED" else None


def test_hanging_up_a_conversation_leaves_the_job_to_the_strategist(sims, jobs, bus, recorder, dials, tmp_path):
    job = jobs.create_job(LONG_CALL, "Ravi", "walk through the contract", max_retries=2)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        wait_for(lambda: any(len(e.messages) >= 4 for e in recorder.of("call_transcript_progress")), 30,
                 what="the call to be under way")
        flagged = jobs.request_hangup(job.id)
        assert flagged.hangup_requested and flagged.overall_status == "PROCESSING"
        attempt = wait_for(lambda: _decided(jobs, job.id), 20, what="the attempt to be decided")
    after = jobs.get_job(job.id)
    assert attempt.end_reason == "hung up by the operator"
    assert attempt.decision_source == "llm"  # the strategist read the partial transcript
    said = json.loads(attempt.transcript)
    assert 4 <= len(said) < 60  # cut short
    # the sim strategist heard no agreement yet: call again, the job is not cancelled
    assert after.overall_status == "RETRY_SCHEDULED" and after.retries_attempted == 1
    assert not after.hangup_requested and not after.cancel_requested
    assert sims.twilio.legs[attempt.twilio_call_sid].status == "completed"
    assert sims.ultravox.live_calls() == []
    assert dials.twilio() == {str(attempt.id): 1}
    assert attempt.duration_s is not None and attempt.cost_usd is not None
    assert not [e for e in recorder.of("new_call_update_available") if e.job_id == job.id]  # not finished


def test_hanging_up_while_it_rings_tries_again_later(sims, jobs, bus, recorder, tmp_path):
    job = jobs.create_job(NO_ANSWER, "Noor", "confirm the delivery", max_retries=1)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        wait_for(lambda: jobs.request_hangup(job.id), 20, what="the call to ring")
        attempt = wait_for(lambda: _decided(jobs, job.id), 20, what="the attempt to be decided")
    after = jobs.get_job(job.id)
    assert attempt.attempt_outcome == "HUNG_UP" and attempt.end_reason == "hung up by the operator"
    assert attempt.decision_source == "rule" and "hung up before it was answered" in attempt.summary.lower()
    assert after.overall_status == "RETRY_SCHEDULED" and after.next_retry_at and not after.hangup_requested
    assert sims.twilio.legs[attempt.twilio_call_sid].status in ("canceled", "completed")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, jobs):
    if request.param == "sqlite":
        yield jobs
        return
    url = request.getfixturevalue("pg_calls_url")
    store = JobStore(url)
    store.init_db()
    yield store
    store.close()


def test_no_live_call_nothing_to_hang_up(any_store):
    jobs = any_store
    job = jobs.create_job(LONG_CALL, "Ravi", "walk through the contract", max_retries=1)
    assert jobs.request_hangup(job.id) is None  # waiting, never dialled
    claimed = jobs.claim_next("engine-a", 30.0)
    assert claimed.id == job.id
    assert jobs.request_hangup(job.id) is None  # being worked on, but no call placed yet
    attempt = jobs.start_attempt(job.id, 1, "walk through the contract", "engine-a")
    jobs.update_attempt(attempt.id, ultravox_call_id="uv-1", phase="DIALING")
    assert jobs.request_hangup(job.id).hangup_requested  # being dialled: live
    assert jobs.legs_to_number(LONG_CALL, "2026-01-01T00:00:00.000Z", -1) == [(None, "DIALING")]
    assert jobs.legs_to_number(LONG_CALL, "2026-01-01T00:00:00.000Z", attempt.id) == []
    decided = jobs.decide(job.id, attempt.id, owner="engine-a", job_fields={"overall_status": "RETRY_SCHEDULED"},
                          attempt_fields={"end_reason": "hung up by the operator"})
    assert not decided.hangup_requested  # the attempt it was for is over
    jobs.cancel_job(job.id)
    assert jobs.request_hangup(job.id) is None and not jobs.get_job(job.id).hangup_requested
