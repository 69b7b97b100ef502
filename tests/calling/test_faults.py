"""Every fault mode of the simulators, against one engine: transient faults
are retried under the one policy without ever dialing twice; permanent ones
end the job FAILED_ERROR with a readable reason and no retry storm."""
from __future__ import annotations

import logging
import threading
import time

import pytest

from core import config as config_mod
from calling.engine import CallingEngine
from tests.calling.conftest import drive, engine_config, running, wait_for

SUCCESS = "+12025550101"


def _one_call(jobs, dials, job):
    attempts = jobs.attempts_for_job(job.id)
    assert len(attempts) == 1, attempts
    aid = str(attempts[0].id)
    assert dials.ultravox() == {aid: 1}, dials.ultravox()
    assert dials.twilio() == {aid: 1}, dials.twilio()
    return attempts[0]


@pytest.mark.parametrize("service,status,count", [
    ("ultravox", 503, 2), ("ultravox", 500, 1), ("ultravox", 429, 1),
    ("twilio", 500, 2), ("twilio", 429, 1),
    ("openai", 502, 2), ("openai", 429, 1),
])
def test_transient_http_faults_are_retried(sims, jobs, bus, dials, tmp_path, caplog, service, status, count):
    cfg = engine_config(sims, tmp_path)
    sims.faults.fail_next(service, status, count, retry_after_s=0.3 if status == 429 else None)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with caplog.at_level(logging.WARNING, logger="calling"), running(CallingEngine(cfg, bus, jobs)):
        done = drive(jobs, job.id)
    assert done.overall_status == "COMPLETED_SUCCESS", done
    attempt = _one_call(jobs, dials, job)
    assert attempt.decision_source == "llm"
    retries = [r.getMessage() for r in caplog.records if "again in" in r.getMessage()]
    assert len(retries) >= count
    if status == 429:  # OpenAI's retry-after-ms (300) wins; the others' Retry-After: 1 (whole seconds)
        assert any(f"again in {'0.30' if service == 'openai' else '1.00'}s" in m for m in retries), retries


def test_garbled_ultravox_create_is_looked_up_not_resent(sims, jobs, bus, dials, tmp_path):
    """The create went through but its answer was cut short: the engine finds
    the call by its metadata instead of creating a second one."""
    sims.faults.malform_next("ultravox", 1)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    assert done.overall_status == "COMPLETED_SUCCESS"
    _one_call(jobs, dials, job)


def _only_leg(sims):
    (sid,) = sims.twilio.legs
    return sid


def test_garbled_twilio_create_is_never_dialed_twice(sims, jobs, bus, dials, tmp_path):
    """A leg whose create answer was garbled is not redialed: it is looked up
    by number and its SID saved."""
    sims.faults.malform_next("twilio", 1)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    attempt = _one_call(jobs, dials, job)
    assert attempt.twilio_call_sid == _only_leg(sims)
    assert done.overall_status == "COMPLETED_SUCCESS"
    assert attempt.attempt_outcome == "MARK_JOB_COMPLETED_SUCCESS"


def test_a_call_to_the_number_that_is_not_ours_is_never_taken(sims, jobs, bus, dials, tmp_path):
    """Two unowned calls to the number (one placed from elsewhere on the account):
    which is ours cannot be told, so neither SID is taken; the call is followed
    through Ultravox as before."""
    from tests.calling.test_reconcile import _clients

    _clients(sims)[1].place(SUCCESS, "wss://elsewhere.example/stream")
    sims.faults.malform_next("twilio", 1)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    (attempt,) = jobs.attempts_for_job(job.id)
    assert attempt.twilio_call_sid is None and len(sims.twilio.legs) == 2
    assert done.overall_status == "COMPLETED_SUCCESS"


def test_timed_out_create_is_looked_up_before_any_new_dial(sims, jobs, bus, dials, tmp_path):
    """Every service answers slower than the client waits, for a while."""
    cfg = engine_config(sims, tmp_path)
    cfg = config_mod.with_sections(cfg, openai={"request_timeout_s": 0.5})
    sims.faults.set_delay(0.8)
    timer = threading.Timer(2.0, sims.faults.set_delay, args=(0.0,))
    timer.start()
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    try:
        with running(CallingEngine(cfg, bus, jobs)):
            done = drive(jobs, job.id)
    finally:
        timer.cancel()
    assert done.overall_status == "COMPLETED_SUCCESS", done
    assert _one_call(jobs, dials, job).twilio_call_sid == _only_leg(sims)  # a timed-out create is looked up too


def test_outage_longer_than_the_retries_defers_then_recovers(sims, jobs, bus, dials, tmp_path):
    cfg = engine_config(sims, tmp_path, lease_s=1.5)
    sims.faults.refuse_for(5.0)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with running(CallingEngine(cfg, bus, jobs)):
        held = wait_for(lambda: (j := jobs.get_job(job.id)) and j.last_error and j, 20,
                        what="the outage to be recorded")
        assert held.overall_status == "PROCESSING" and "503" in held.last_error
        done = drive(jobs, job.id, timeout=60)
    assert done.overall_status == "COMPLETED_SUCCESS", done
    _one_call(jobs, dials, job)


def test_garbled_strategist_answer_is_retried(sims, jobs, bus, dials, tmp_path):
    sims.faults.malform_next("openai", 1)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    assert done.overall_status == "COMPLETED_SUCCESS"
    assert _one_call(jobs, dials, job).decision_source == "llm"


def test_strategist_down_gives_a_recorded_fallback_never_success(sims, jobs, bus, dials, tmp_path):
    cfg = engine_config(sims, tmp_path, strategist_attempts=2, max_retries=0)
    sims.faults.fail_next("openai", 500, 100)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=0)
    with running(CallingEngine(cfg, bus, jobs)):
        done = drive(jobs, job.id)
    attempt = _one_call(jobs, dials, job)
    assert attempt.decision_source == "fallback"
    assert "500" in attempt.error_details
    assert attempt.attempt_outcome == "SCHEDULE_JOB_RETRY"
    assert done.overall_status == "FAILED_MAX_RETRIES"  # a retry asked for, none left


@pytest.mark.parametrize("service", ["twilio", "ultravox"])
def test_bad_credentials_pause_the_work_and_tell_the_operator_once(sims, jobs, bus, recorder, dials, tmp_path,
                                                                     service):
    """A refused key is nobody's no-answer and no reason to give up on the person:
    the job waits unchanged (no retry counted), calling stops, one notice says what to fix."""
    cfg = engine_config(sims, tmp_path)
    wrong = {"twilio": {"twilio_auth_token": "wrong"}, "ultravox": {"ultravox_api_key": "wrong"}}[service]
    cfg = config_mod.with_sections(cfg, secrets=config_mod.Secrets(**{**sims.secrets.__dict__, **wrong}))
    first = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=3)
    second = jobs.create_job(SUCCESS, "Akhil", "and the receipt", max_retries=3)
    with running(CallingEngine(cfg, bus, jobs)):
        job = wait_for(lambda: (j := jobs.get_job(first.id)).last_error and j, 20, what="the refusal")
        time.sleep(0.5)  # several poll intervals: a paused engine claims nothing more
    assert job.overall_status == "PROCESSING" and job.retries_attempted == 0
    assert "credentials" in job.last_error or "API key" in job.last_error
    assert jobs.get_job(second.id).overall_status == "PENDING"  # blocked work is not even started
    (attempt,) = jobs.attempts_for_job(first.id)
    assert attempt.phase in ("CREATED", "ULTRAVOX_CREATED") and attempt.attempt_outcome is None
    assert dials.twilio() == {}
    (notice,) = recorder.of("notice", level="error")
    assert ("Twilio" if service == "twilio" else "Ultravox") in notice.text and "paused" in notice.text
