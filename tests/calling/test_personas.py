"""Every persona of the simulator ends in the right status, over real HTTP."""
from __future__ import annotations

import json

from calling.engine import CallingEngine
from calling.export import export
from tests.calling.conftest import drive, engine_config, running

# persona number -> (final status, attempt outcomes, a conversation was stored?)
EXPECTED = {
    "+12025550101": ("COMPLETED_SUCCESS", ["MARK_JOB_COMPLETED_SUCCESS"], True),          # success
    "+12025550102": ("COMPLETED_SUCCESS", ["SCHEDULE_JOB_RETRY", "MARK_JOB_COMPLETED_SUCCESS"], True),  # callback
    "+12025550103": ("FAILED_MAX_RETRIES", ["NO_ANSWER", "NO_ANSWER"], False),           # no_answer
    "+12025550104": ("FAILED_MAX_RETRIES", ["BUSY", "BUSY"], False),                     # busy
    "+12025550105": ("FAILED_MAX_RETRIES", ["VOICEMAIL", "VOICEMAIL"], False),           # voicemail
    "+12025550106": ("DECLINED", ["DECLINED"], True),                                    # refuse: "don't call again"
    "+12025550107": ("FAILED_ERROR", ["ERROR"], False),                                  # invalid_number
    "+12025550108": ("FAILED_MAX_RETRIES", ["SCHEDULE_JOB_RETRY", "SCHEDULE_JOB_RETRY"], True),  # hangup
    "+12025550109": ("COMPLETED_SUCCESS", ["MARK_JOB_COMPLETED_SUCCESS"], True),          # long_call
}


def test_every_persona_ends_in_the_right_status(sims, jobs, bus, recorder, tmp_path):
    cfg = engine_config(sims, tmp_path, concurrency=4, max_retries=1)
    ids = {phone: jobs.create_job(phone, f"Person {phone[-3:]}", "confirm the Tuesday delivery",
                                  max_retries=1).id for phone in EXPECTED}
    with running(CallingEngine(cfg, bus, jobs)):
        final = {phone: drive(jobs, job_id, timeout=90) for phone, job_id in ids.items()}

    for phone, (status, outcomes, talked) in EXPECTED.items():
        job = final[phone]
        attempts = jobs.attempts_for_job(job.id)
        assert job.overall_status == status, (phone, job)
        assert [a.attempt_outcome for a in attempts] == outcomes, (phone, attempts)
        assert all(a.phase == "DECIDED" for a in attempts)
        assert job.final_summary_for_main_agent, phone
        for a in attempts:
            transcript = json.loads(a.transcript) if a.transcript else []
            assert bool(transcript) == talked, (phone, a)
            if talked:
                assert a.decision_source == "llm" and a.strategist_reasoning_for_attempt
                assert a.ultravox_call_id and a.twilio_call_sid and a.end_reason
            elif a.attempt_outcome != "ERROR":
                assert a.decision_source == "rule"  # recorded as the leg it was, not a conversation
            if a.twilio_call_sid:  # the leg as it ended, never a status it passed through
                assert a.twilio_status in {"completed", "busy", "no-answer", "failed", "canceled"}, (phone, a)
                assert a.ended_at and a.cost_usd is not None
        # a finished job is announced exactly once
        notes = [e for e in recorder.of("new_call_update_available") if e.job_id == job.id]
        assert len(notes) == 1 and notes[0].status_summary == job.final_summary_for_main_agent
        assert notes[0].contact_name == job.contact_name

    # invalid number: a readable reason, one try, no retry storm
    bad = final["+12025550107"]
    assert "invalid" in bad.last_error.lower() and bad.retries_attempted == 0
    # callback: the second call carries the strategist's (revised) objective
    cb_job = final["+12025550102"]
    cb = jobs.attempts_for_job(cb_job.id)
    assert "call back in 10 minutes" in cb[0].summary
    assert cb[1].objective == cb_job.current_call_objective_description
    # long call: the whole transcript came through every page; progress was published live
    long_attempt = jobs.attempts_for_job(final["+12025550109"].id)[0]
    assert len(json.loads(long_attempt.transcript)) == 61  # every call stage (mode=in_call), not the last
    progress = [e for e in recorder.of("call_transcript_progress") if e.attempt_id == long_attempt.id]
    assert len(progress) >= 3 and len(progress[-1].messages) == 61
    assert [len(e.messages) for e in progress] == sorted(len(e.messages) for e in progress)
    # cost estimate from the durations: (0.05 + 0.014) $/min
    assert final["+12025550109"].cost_estimate_usd == round(long_attempt.duration_s / 60 * 0.064, 6) > 0
    assert final["+12025550104"].cost_estimate_usd == 0
    assert recorder.of("call_job_updated")

    # export of what just happened, both formats
    csv_paths = export(jobs, tmp_path / "out", "csv")
    json_paths = export(jobs, tmp_path / "out", "json")
    assert [p.name for p in csv_paths] == ["jobs.csv", "attempts.csv"]
    exported_jobs = json.loads(json_paths[0].read_text())
    exported_attempts = json.loads(json_paths[1].read_text())
    assert {j["id"] for j in exported_jobs} == set(ids.values())
    assert len(exported_attempts) == sum(len(o) for _, o, _ in EXPECTED.values())
    assert any(isinstance(a["transcript"], list) and a["transcript"] for a in exported_attempts)
    assert csv_paths[1].read_text().count("\n") > len(exported_attempts)  # header + rows
