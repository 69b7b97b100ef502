"""The calls as the real services need them, and their refusals handled as
refusals: the request shapes the engine sends, a Twilio 429 storm, OpenAI
out of quota, and hanging up without destroying the record."""
from __future__ import annotations

import logging

from calling.engine import CallingEngine
from core import config as config_mod
from tests.calling.conftest import drive, engine_config, running, wait_for

SUCCESS, LONG = "+12025550101", "+12025550109"


def _only_attempt(jobs, job):
    (attempt,) = jobs.attempts_for_job(job.id)
    return attempt


def test_calls_are_placed_as_the_services_need(sims, jobs, bus, tmp_path):
    cfg = engine_config(sims, tmp_path)
    contacts = [config_mod.Contact(name="Marco", phone="+12025550103", first_speaker="agent")]
    cfg = config_mod.Config(settings=cfg.settings.model_copy(update={"contacts": contacts}), secrets=cfg.secrets,
                            mode=cfg.mode, base_dir=cfg.base_dir)
    user_first = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=0)
    agent_first = jobs.create_job("+12025550103", "Marco", "confirm the order", max_retries=0)
    with running(CallingEngine(cfg, bus, jobs)):
        drive(jobs, user_first.id)
        drive(jobs, agent_first.id)
    calls = {c.call_id: c for c in sims.ultravox.calls.values()}
    akhil = calls[_only_attempt(jobs, user_first).ultravox_call_id]
    marco = calls[_only_attempt(jobs, agent_first).ultravox_call_id]
    assert akhil.first_speaker == "user" and marco.first_speaker == "agent"  # a contact may say otherwise
    assert akhil.messages[0]["text"] == "Hello?"
    (leg,) = [leg for leg in sims.twilio.legs.values() if leg.to == SUCCESS]
    assert leg.timeout_s == 30 and leg.machine_detection and leg.async_amd
    assert akhil.join_timeout_s > leg.timeout_s  # the join window outlasts the ringing
    assert {"call_key", "install_id", "attempt_id"} <= set(akhil.metadata)


def test_a_twilio_429_storm_is_a_refusal_not_a_no_answer(sims, jobs, bus, dials, tmp_path, caplog):
    """15 refusals in a row: the callee was never rung, so nothing is counted
    against them; the refusal is recorded and Twilio's Retry-After is honoured."""
    sims.faults.fail_next("twilio", 429, 15, retry_after_s=1.0)
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=1)
    with caplog.at_level(logging.WARNING, logger="calling"), running(CallingEngine(engine_config(sims, tmp_path),
                                                                                   bus, jobs)):
        done = wait_for(lambda: (j := jobs.get_job(job.id)).overall_status == "COMPLETED_SUCCESS" and j,
                        60, what="the call after the storm")
    attempt = _only_attempt(jobs, job)
    assert done.retries_attempted == 0 and attempt.attempt_outcome == "MARK_JOB_COMPLETED_SUCCESS"
    assert "429" in attempt.error_details  # the refusal is on record
    aid = str(attempt.id)
    assert dials.twilio() == {aid: 1} and dials.ultravox_dialed() == {aid: 1}
    waits = [r.getMessage() for r in caplog.records if "placing the Twilio call" in r.getMessage()]
    assert len(waits) >= 10 and all("again in 1.00s" in m for m in waits), waits


def test_openai_out_of_quota_pauses_the_decision_instead_of_redialing(sims, jobs, bus, recorder, dials, tmp_path):
    sims.faults.set_quota_exhausted(True)
    cfg = engine_config(sims, tmp_path, provider_pause_min=0.03)  # about 2 s
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=3)
    with running(CallingEngine(cfg, bus, jobs)):
        waiting = wait_for(lambda: (j := jobs.get_job(job.id)).last_error and j, 30, what="the refusal")
        attempt = _only_attempt(jobs, job)
        assert waiting.overall_status == "PROCESSING" and waiting.retries_attempted == 0
        assert "quota" in waiting.last_error and attempt.phase == "ENDED"
        (notice,) = recorder.of("notice", level="error")
        assert "quota" in notice.text and "paused" in notice.text
        sims.faults.set_quota_exhausted(False)  # credit added: the paused decision is taken, nobody re-dialed
        done = drive(jobs, job.id)
    attempt = _only_attempt(jobs, job)
    assert done.overall_status == "COMPLETED_SUCCESS" and attempt.decision_source == "llm"
    assert dials.twilio() == {str(attempt.id): 1}


def test_hanging_up_keeps_the_call_record_and_transcript(sims, jobs, bus, tmp_path):
    sims.twilio.speed = 5.0  # a long call still talking when cancelled
    job = jobs.create_job(LONG, "Ravi", "walk through the contract", max_retries=0)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        call_id = wait_for(lambda: (a := jobs.attempts_for_job(job.id)) and a[0].ultravox_call_id, 30)
        wait_for(lambda: len(sims.ultravox.calls[call_id].messages) >= 3, 30, what="a conversation")
        jobs.cancel_job(job.id)
        done = wait_for(lambda: (j := jobs.get_job(job.id)).overall_status == "CANCELLED" and j, 30)
    call = sims.ultravox.calls.get(call_id)
    assert call is not None, "the Ultravox call was deleted"
    assert call.end_reason in ("hangup", "agent_hangup") and len(call.messages) >= 3
    assert done.cancel_requested


def test_a_recorded_call_keeps_its_recording_address(sims, jobs, bus, tmp_path):
    import requests

    cfg = engine_config(sims, tmp_path)
    recorded = config_mod.with_sections(cfg, ultravox={**cfg.settings.ultravox.model_dump(), "record_calls": True})
    job = jobs.create_job(SUCCESS, "Akhil", "confirm the invoice", max_retries=0)
    with running(CallingEngine(recorded, bus, jobs)):
        drive(jobs, job.id)
    attempt = _only_attempt(jobs, job)
    assert attempt.recording_url == f"{sims.urls['ultravox_base_url']}/calls/{attempt.ultravox_call_id}/recording"
    audio = requests.get(attempt.recording_url, headers={"X-API-Key": sims.secrets.ultravox_api_key}, timeout=5)
    assert audio.status_code == 200 and audio.content.startswith(b"RIFF")
    plain = jobs.create_job(SUCCESS, "Akhil", "and the receipt", max_retries=0)
    with running(CallingEngine(cfg, bus, jobs)):
        drive(jobs, plain.id)
    assert _only_attempt(jobs, plain).recording_url is None
