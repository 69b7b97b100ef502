"""The gate before dialling and every way of scheduling agree: one number
form, never emergency / short / premium numbers, never a number on the
do-not-call list — the config's or the one the callees' own words fill."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from calling.decisions import from_plan
from calling.engine import CallingEngine
from calling.follow import CONVERSATION, CallResult
from calling.hours import effective_hours
from calling.scheduling import schedule_job
from calling.strategist import ActionPlan
from core import config as config_mod
from tests.calling.conftest import drive, engine_config, finished, running, wait_for
from tests.conftest import ROOT
from store.do_not_call import Listing
from tests.helpers import job_record

LEE = "+12025550106"  # the simulated person who says "Please don't call again"


def test_a_do_not_call_entry_in_any_form_stops_the_job_at_the_gate(sims, jobs, bus, dials, tmp_path):
    cfg = engine_config(sims, tmp_path, do_not_call=["202-555-0105"])
    job = jobs.create_job("+12025550105", "Sam", "confirm the delivery", max_retries=1)
    with running(CallingEngine(cfg, bus, jobs)):
        done = wait_for(lambda: finished(jobs, job.id), 20)
    assert done.overall_status == "DECLINED"
    assert "+12025550105 is on the do-not-call list in the config (calling.do_not_call)" in done.last_error
    assert dials.ultravox() == {} and dials.twilio() == {}


@pytest.mark.parametrize("number, words", [("911", "emergency number"), ("+19005550123", "premium-rate number"),
                                           ("411", "short code")])
def test_numbers_no_one_may_dial_are_refused_at_the_gate(sims, jobs, bus, dials, tmp_path, number, words):
    job = jobs.create_job(number, "Someone", "ask a question", max_retries=1)  # straight into the table
    with running(CallingEngine(engine_config(sims, tmp_path), bus, jobs)):
        done = wait_for(lambda: finished(jobs, job.id), 20)
    assert done.overall_status == "FAILED_ERROR" and words in done.last_error
    assert jobs.attempts_for_job(job.id) == [] and dials.ultravox() == {} and dials.twilio() == {}


def test_dont_call_again_lists_the_number_and_every_way_in_refuses_it(sims, jobs, bus, recorder, dials, tmp_path):
    cfg = engine_config(sims, tmp_path, max_retries=3)
    first = schedule_job(jobs, cfg.settings, contact_name="Lee", phone_number="(202) 555-0106",
                         objective="discuss the supplier contract").job
    with running(CallingEngine(cfg, bus, jobs)):
        done = drive(jobs, first.id)
        # a job that skipped scheduling (another process, an old row) meets the gate
        sneaked = jobs.create_job(LEE, "Lee", "the supplier contract again", max_retries=3)
        refused = wait_for(lambda: finished(jobs, sneaked.id), 20)

    # the job reads as declined, not as "max retries 0/3"
    assert done.overall_status == "DECLINED" and done.retries_attempted == 0
    assert "asked not to be called again" in done.final_summary_for_main_agent
    (attempt,) = jobs.attempts_for_job(first.id)
    assert attempt.attempt_outcome == "DECLINED" and attempt.decision_source == "llm"
    (entry,) = jobs.list_do_not_call()
    assert entry.phone_number == LEE and entry.job_id == first.id
    assert "don't call again" in entry.reason and entry.added_by == "the strategist (llm)"
    assert entry.added_at
    assert [e.phone_number for e in recorder.of("do_not_call_changed") if e.listed] == [LEE]
    # the engine's gate, the last one
    assert refused.overall_status == "DECLINED" and "do-not-call list" in refused.last_error
    assert jobs.attempts_for_job(sneaked.id) == []
    assert sum(dials.ultravox().values()) == 1
    # scheduling, in any form of the number: says why and how to lift it
    for phone in (LEE, "202.555.0106", None):
        with pytest.raises(ValueError) as err:
            schedule_job(jobs, cfg.settings.model_copy(update={"contacts": [
                config_mod.Contact(name="Lee", role="Procurement", phone=LEE)]}),
                contact_name="Lee", phone_number=phone, objective="the supplier contract, once more")
        assert f"{LEE} is on the do-not-call list" in str(err.value)
        assert f"job {first.id}" in str(err.value) and "lift it in the console's do-not-call list" in str(err.value)
    # lifting it lets the operator schedule again
    assert jobs.remove_do_not_call(LEE).job_id == first.id
    assert jobs.list_do_not_call() == []
    assert schedule_job(jobs, cfg.settings, contact_name="Lee", phone_number=LEE, objective="a new matter").job.id


def test_a_hard_refusal_is_caught_even_when_the_plan_misses_it():
    job = job_record(id=7, contact_name="Lee", phone_number=LEE)
    plan = ActionPlan(action="SCHEDULE_JOB_RETRY", summary_for_user="Lee was short with us.",
                      revised_objective="try again", retry_delay_minutes=30, reasoning="unclear")
    said = CallResult(CONVERSATION, transcript=[{"role": "MESSAGE_ROLE_AGENT", "text": "I won't call again then."},
                                                {"role": "MESSAGE_ROLE_USER", "text": "Stop calling me."}])
    outcome = from_plan(job, plan, "llm", said, datetime.now(timezone.utc), 0.0)
    assert outcome.job_fields["overall_status"] == "DECLINED" and outcome.finished
    assert outcome.do_not_call == Listing('Lee asked not to be called again: "Stop calling me."',
                                          added_by="the refusal rule")
    # an objective achieved stays a success; the number is listed all the same
    done = plan.model_copy(update={"action": "MARK_JOB_COMPLETED_SUCCESS", "summary_for_user": "Lee will pay."})
    outcome = from_plan(job, done, "llm", said, datetime.now(timezone.utc), 0.0)
    assert outcome.job_fields["overall_status"] == "COMPLETED_SUCCESS" and outcome.do_not_call is not None
    assert outcome.job_fields["final_summary_for_main_agent"].startswith("Lee will pay. Lee asked not to be called")
    # the agent's own words never count as the callee's
    agent_only = CallResult(CONVERSATION, transcript=[{"role": "MESSAGE_ROLE_AGENT", "text": "Stop calling me."}])
    assert from_plan(job, plan, "llm", agent_only, datetime.now(timezone.utc), 0.0).do_not_call is None


@pytest.mark.parametrize("number, words", [("911", "911 is an emergency number; Switchboard never calls emergency"),
                                           ("112", "emergency number"), ("+1 900 555 0123", "premium-rate"),
                                           ("garbage!!", "not a phone number")])
def test_scheduling_refuses_what_must_never_be_dialled(jobs, number, words):
    settings = config_mod.load(None, env={}, mode="simulate").settings
    with pytest.raises(ValueError, match=words):
        schedule_job(jobs, settings, contact_name="Someone", phone_number=number, objective="ask")
    assert jobs.list_jobs() == []


def test_live_mode_calls_only_in_the_shipped_hours_while_the_demo_calls_all_day():
    live_env = {"OPENAI_API_KEY": "k", "ULTRAVOX_API_KEY": "k", "ULTRAVOX_AGENT_ID": "a",
                "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+12025550199"}
    live = config_mod.load(ROOT / "config.toml", env=live_env)
    demo = config_mod.load(ROOT / "config.toml", env={})
    assert live.mode == "live" and effective_hours(live) == "09:00-20:00"
    assert demo.mode == "simulate" and effective_hours(demo) == "00:00-24:00"
    assert effective_hours(config_mod.load(None, env=live_env)) == "09:00-20:00"  # the default too
