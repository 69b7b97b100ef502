"""A job whose engine died is reconciled from the ids its attempt stored:
never placed → dial; created but not saved → found by metadata; placed with
no SID saved → followed, never redialed; running → followed; finished →
finished; ended but undecided → decided. One call per attempt, always."""
from __future__ import annotations

import json

from calling.context import install_id
from calling.dialer import call_metadata
from calling.engine import CallingEngine
from calling.twilio_leg import TwilioLeg
from calling.ultravox_client import UltravoxClient
from tests.calling.conftest import drive, engine_config, running, wait_for

PHONE = "+12025550101"


def _dead_engine_job(jobs):
    """A job a dead engine claimed (its lease already run out) and started attempt 1 of."""
    job = jobs.create_job(PHONE, "Akhil", "confirm the invoice", max_retries=0)
    claimed = jobs.claim_next("dead-engine", -1.0)
    assert claimed.id == job.id
    attempt = jobs.start_attempt(job.id, 1, job.current_call_objective_description, "dead-engine")
    return job, attempt


def _clients(sims):
    s = sims.secrets
    return (UltravoxClient(sims.urls["ultravox_base_url"], s.ultravox_api_key),
            TwilioLeg(s.twilio_account_sid, s.twilio_auth_token, s.twilio_from_number,
                      base_url=sims.urls["twilio_base_url"]))


def _create_uv(sims, job, attempt, data_dir):
    """The call the dead engine created for this attempt (the engine's own metadata)."""
    uv, _ = _clients(sims)
    return uv.create_call(sims.secrets.ultravox_agent_id,
                          {"contact_name": "Akhil", "call_objective": "confirm the invoice"},
                          call_metadata(install_id(data_dir), job, attempt))


def _finish(sims, jobs, bus, tmp_path, job, attempt, dials):
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    attempts = jobs.attempts_for_job(job.id)
    assert [a.id for a in attempts] == [attempt.id]  # the same attempt, no new one
    aid = str(attempt.id)
    assert dials.ultravox() == {aid: 1} and dials.twilio() == {aid: 1}, (dials.ultravox(), dials.twilio())
    assert attempts[0].phase == "DECIDED"
    return done, attempts[0]


def test_never_placed_is_dialed(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    done, a = _finish(sims, jobs, bus, tmp_path, job, attempt, dials)
    assert done.overall_status == "COMPLETED_SUCCESS" and a.engine_id == "dead-engine"


def test_created_but_not_saved_is_found_by_metadata(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    call = _create_uv(sims, job, attempt, tmp_path)
    done, a = _finish(sims, jobs, bus, tmp_path, job, attempt, dials)
    assert a.ultravox_call_id == call["callId"] and done.overall_status == "COMPLETED_SUCCESS"


def test_someone_elses_or_an_ended_call_is_never_adopted(sims, jobs, bus, dials, tmp_path):
    """Attempt ids repeat (a database reset, a second install on the account): a call
    with our attempt_id but another install's key, or our own but ended, is not ours to follow."""
    job, attempt = _dead_engine_job(jobs)
    uv, _ = _clients(sims)
    other = uv.create_call(sims.secrets.ultravox_agent_id, {"contact_name": "Someone"},
                           call_metadata("another-install", job, attempt))
    ours_but_over = uv.create_call(sims.secrets.ultravox_agent_id, {"contact_name": "Akhil"},
                                   call_metadata(install_id(tmp_path), job, attempt))
    uv.hang_up(ours_but_over["callId"])
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    (a,) = jobs.attempts_for_job(job.id)
    assert a.ultravox_call_id not in (other["callId"], ours_but_over["callId"])
    assert done.overall_status == "COMPLETED_SUCCESS" and dials.twilio() == {str(attempt.id): 1}


def test_placed_without_a_saved_sid_is_followed_not_redialed(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    call = _create_uv(sims, job, attempt, tmp_path)
    jobs.update_attempt(attempt.id, ultravox_call_id=call["callId"], join_url=call["joinUrl"], phase="DIALING")
    leg = _clients(sims)[1].place(PHONE, call["joinUrl"])  # went out; the engine died before saving the SID
    done, a = _finish(sims, jobs, bus, tmp_path, job, attempt, dials)
    assert done.overall_status == "COMPLETED_SUCCESS" and len(json.loads(a.transcript)) == 7
    assert a.twilio_call_sid == leg.sid  # looked up by number


def test_running_call_is_followed(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    call = _create_uv(sims, job, attempt, tmp_path)
    leg = _clients(sims)[1].place(PHONE, call["joinUrl"])
    jobs.update_attempt(attempt.id, ultravox_call_id=call["callId"], join_url=call["joinUrl"],
                        twilio_call_sid=leg.sid, phase="DIALED")
    done, a = _finish(sims, jobs, bus, tmp_path, job, attempt, dials)
    assert done.overall_status == "COMPLETED_SUCCESS" and a.twilio_call_sid == leg.sid


def test_call_that_ended_while_no_engine_ran_is_finished(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    call = _create_uv(sims, job, attempt, tmp_path)
    uv, twilio = _clients(sims)
    leg = twilio.place(PHONE, call["joinUrl"])
    jobs.update_attempt(attempt.id, ultravox_call_id=call["callId"], join_url=call["joinUrl"],
                        twilio_call_sid=leg.sid, phase="DIALED")
    wait_for(lambda: uv.get_call(call["callId"])["ended"], 20, what="the call to end")
    done, a = _finish(sims, jobs, bus, tmp_path, job, attempt, dials)
    assert done.overall_status == "COMPLETED_SUCCESS" and a.end_reason == "agent_hangup"


def test_ended_but_undecided_goes_to_the_strategist(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    transcript = [{"role": "MESSAGE_ROLE_AGENT", "text": "Can we confirm the invoice?"},
                  {"role": "MESSAGE_ROLE_USER", "text": "Not interested, don't call again."}]
    jobs.update_attempt(attempt.id, ultravox_call_id="gone", twilio_call_sid="CAgone", phase="ENDED",
                        transcript=transcript, attempt_outcome="CONVERSATION", end_reason="hangup", duration_s=30.0)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    a = jobs.attempts_for_job(job.id)[0]
    assert done.overall_status == "DECLINED" and a.attempt_outcome == "DECLINED"  # "don't call again"
    assert dials.ultravox() == {} and dials.twilio() == {}
    assert done.cost_estimate_usd == round(30 / 60 * 0.064, 6)


def test_a_live_lease_is_not_taken(sims, jobs, bus, dials, tmp_path):
    job = jobs.create_job(PHONE, "Akhil", "confirm the invoice", max_retries=0)
    assert jobs.claim_next("other-engine", 60.0).id == job.id
    assert jobs.claim_next("me", 60.0) is None


def test_stop_mid_call_then_restart_continues_the_same_attempt(sims, jobs, bus, recorder, dials, tmp_path):
    job = jobs.create_job("+12025550109", "Ravi", "walk through the contract", max_retries=0)  # long_call
    engine = CallingEngine(engine_config(sims, tmp_path), bus, jobs)
    with running(engine):
        wait_for(lambda: any(len(e.messages) >= 2 for e in recorder.of("call_transcript_progress")), 30,
                 what="the call to be under way")
    held = jobs.get_job(job.id)
    assert held.overall_status == "PROCESSING"
    assert held.lease_expires_at <= jobs.clock.now_iso()  # released at stop: no waiting for expiry
    assert jobs.open_attempt(job.id).phase == "DIALED"
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = drive(jobs, job.id)
    attempts = jobs.attempts_for_job(job.id)
    assert done.overall_status == "COMPLETED_SUCCESS" and len(attempts) == 1
    aid = str(attempts[0].id)
    assert dials.ultravox() == {aid: 1} and dials.twilio() == {aid: 1}
    assert len(json.loads(attempts[0].transcript)) == 61


def test_what_goes_on_the_wire(sims, jobs, bus, dials, tmp_path):
    job = jobs.create_job(PHONE, "Akhil", "confirm the invoice & the PO", max_retries=0)
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        drive(jobs, job.id)
    attempt = jobs.attempts_for_job(job.id)[0]
    [call] = dials.calls
    assert call.template_context == {"contact_name": "Akhil", "call_objective": "confirm the invoice & the PO"}
    assert call.metadata["job_id"] == str(job.id) and call.metadata["attempt_id"] == str(attempt.id)
    [leg] = sims.twilio.legs.values()
    assert leg.stream_url == call.join_url and "&" in leg.stream_url  # TwiML escaped the joinUrl's "&"
    assert leg.machine_detection and leg.to == PHONE


def test_a_sid_twilio_does_not_know_is_followed_through_ultravox(sims, jobs, bus, dials, tmp_path):
    job, attempt = _dead_engine_job(jobs)
    call = _create_uv(sims, job, attempt, tmp_path)
    _clients(sims)[1].place(PHONE, call["joinUrl"])
    jobs.update_attempt(attempt.id, ultravox_call_id=call["callId"], join_url=call["joinUrl"],
                        twilio_call_sid="CA" + "0" * 32, phase="DIALED")  # a SID that is not Twilio's
    done, a = _finish(sims, jobs, bus, tmp_path, job, attempt, dials)
    assert done.overall_status == "COMPLETED_SUCCESS"
