"""The assistant's tools against a real job store: answers, validation, rows."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from calling.scheduling import schedule_job
from core.clock import iso
from tests.voice.conftest import run_tool, simulate_settings, tool_store
from voice.tools import TOOLS, ToolBox


@pytest.fixture
def env(tmp_path: Path):
    settings = simulate_settings()
    settings = settings.model_copy(update={"calling": settings.calling.model_copy(update={"do_not_call": ["(202) 555-0199"]})})
    clock, bus, rec, jobs = tool_store(tmp_path)
    yield ToolBox(jobs, settings, bus, clock), jobs, rec, clock
    jobs.close()


call = run_tool


def test_tool_definitions_are_flat_ga_functions():
    for tool in TOOLS:
        assert set(tool) == {"type", "name", "description", "parameters"}
        assert tool["type"] == "function" and tool["parameters"]["type"] == "object"


def test_schedule_by_name_uses_the_directory(env):
    box, jobs, _, _ = env
    text = call(box, "schedule_outbound_call", contact_name="akhil", call_objective="Ask about the invoice")
    job = jobs.list_jobs()[0]
    assert f"job {job.id}" in text
    assert (job.phone_number, job.contact_name, job.timezone) == ("+12025550101", "Akhil", "America/New_York")
    assert job.overall_status == "PENDING" and job.max_retries == 3


@pytest.mark.parametrize("name", ["Akhil (Operations)", "Akhil from Operations", "AKHIL"])
def test_directory_names_are_matched_loosely_but_uniquely(env, name):
    box, jobs, _, _ = env
    assert "Scheduled job" in call(box, "schedule_outbound_call", contact_name=name, call_objective="Say hi")
    assert jobs.list_jobs()[0].phone_number == "+12025550101"


def test_schedule_by_number_normalises_and_finds_the_timezone(env):
    box, jobs, _, _ = env
    text = call(box, "schedule_outbound_call", contact_name="The plumber", phone_number="(415) 555-0123",
                call_objective="Book a visit")
    job = jobs.list_jobs()[0]
    assert "Scheduled job" in text
    assert (job.phone_number, job.contact_name, job.timezone) == ("+14155550123", "The plumber", "America/Los_Angeles")


@pytest.mark.parametrize("args, expect", [
    ({"contact_name": "Zed", "call_objective": "x"}, "No contact named 'Zed'"),
    ({"contact_name": "Bob", "phone_number": "12", "call_objective": "x"}, "not a valid phone number"),
    ({"contact_name": "Bob", "phone_number": "not a number", "call_objective": "x"}, "not a phone number"),
    ({"contact_name": "Akhil", "call_objective": "   "}, "objective is empty"),
    ({"contact_name": "Bob", "phone_number": "+12025550199", "call_objective": "x"}, "do-not-call"),
    ({"call_objective": "x"}, "Give a contact name"),
])
def test_bad_schedule_arguments_explain_and_write_nothing(env, args, expect):
    box, jobs, _, _ = env
    text = call(box, "schedule_outbound_call", **args)
    assert expect in text and text.startswith("schedule_outbound_call failed")
    assert jobs.list_jobs() == []


def test_malformed_arguments_get_a_fixable_answer(env):
    box, jobs, _, _ = env
    assert "not valid JSON" in box.run("schedule_outbound_call", '{"contact_name": "Akhil"')
    assert "must be a JSON object" in box.run("list_scheduled_calls", "[1]")
    assert "no argument(s) colour" in box.run("list_scheduled_calls", '{"colour": 1}')
    assert "no tool named" in box.run("launch_rocket", "{}")
    assert "whole number" in call(box, "check_scheduled_call_status", job_id="twelve")
    assert jobs.list_jobs() == []


def test_the_same_call_is_not_scheduled_twice(env):
    box, jobs, _, _ = env
    call(box, "schedule_outbound_call", contact_name="Akhil", call_objective="Ask about the invoice")
    text = call(box, "schedule_outbound_call", contact_name="Akhil", call_objective="ask about the invoice")
    assert "already calls Akhil" in text and len(jobs.list_jobs()) == 1


def test_schedule_job_raises_a_user_facing_value_error(env):
    box, jobs, _, _ = env
    with pytest.raises(ValueError, match="No contact named"):
        schedule_job(jobs, box.settings, contact_name="Nobody here", phone_number=None, objective="x")
    job = schedule_job(jobs, box.settings, contact_name="Akhil", phone_number="+12025550111", objective="y")
    assert "directory number is +12025550101" in job.note


def test_status_answers_for_every_state(env):
    box, jobs, _, clock = env
    job = jobs.create_job("+12025550101", "Akhil", "ask about the invoice", max_retries=3)
    assert "queued and has not been dialled" in call(box, "check_scheduled_call_status", job_id=job.id)

    jobs.update_job(job.id, overall_status="PROCESSING", retries_attempted=1)
    jobs.start_attempt(job.id, 1, "ask", "e1")
    jobs.start_attempt(job.id, 2, "ask", "e1")
    assert "in progress right now (attempt #2)" in call(box, "check_scheduled_call_status", contact_name="Akhil")

    attempt = jobs.attempts_for_job(job.id)[-1]
    jobs.update_attempt(attempt.id, ended_at=clock.now_iso(), attempt_outcome="busy line")
    retry_at = iso(clock.now() + timedelta(minutes=10))
    jobs.update_job(job.id, overall_status="RETRY_SCHEDULED", next_retry_at=retry_at)
    text = call(box, "check_scheduled_call_status", call_objective_snippet="INVOICE")
    assert "last attempt (#2)" in text and "busy line" in text and "in 10 minutes" in text
    assert "2026-01-05 10:00 UTC" in text

    jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid on Monday.")
    text = call(box, "check_scheduled_call_status", job_id=job.id)
    assert "Paid on Monday" in text and "Tell the user" in text
    assert jobs.get_job(job.id).main_agent_informed_user is True
    assert jobs.pending_updates() == []
    text = call(box, "check_scheduled_call_status", job_id=job.id)
    assert "already been told" in text


def test_no_match_and_several_matches(env):
    box, jobs, _, _ = env
    assert "No scheduled call matches contact 'Priya'" in call(box, "check_scheduled_call_status", contact_name="Priya")
    older = jobs.create_job("+12025550101", "Akhil", "ask about the invoice", max_retries=3)
    newer = jobs.create_job("+12025550101", "Akhil", "ask about the lunch order", max_retries=3)
    text = call(box, "check_scheduled_call_status", contact_name="akhil")
    assert text.startswith(f"Job {newer.id}") and f"job {older.id}" in text and "meant another" in text


def test_cancel_and_list(env):
    box, jobs, _, _ = env
    assert "give the job_id or the contact_name" in call(box, "cancel_scheduled_call")
    job = jobs.create_job("+12025550102", "Priya", "chase the budget", max_retries=3)
    assert "There are no scheduled calls" not in call(box, "list_scheduled_calls")
    assert f"Cancelled job {job.id}" in call(box, "cancel_scheduled_call", contact_name="Priya")
    assert jobs.get_job(job.id).overall_status == "CANCELLED"
    assert "No unfinished call matches" in call(box, "cancel_scheduled_call", contact_name="Priya")
    assert "already finished" in call(box, "cancel_scheduled_call", job_id=job.id)
    assert f"job {job.id} (Priya, \"chase the budget\", CANCELLED)" in call(box, "list_scheduled_calls")


def test_show_on_screen_publishes_and_dismisses_badges(env):
    box, jobs, rec, _ = env
    job = jobs.create_job("+12025550101", "Akhil", "x", max_retries=3)
    jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="done")
    text = call(box, "show_on_screen", kind="table", title="Calls",
                content=json.dumps({"columns": ["who", "n"], "rows": [["Akhil", 1]]}))
    assert "Shown on the screen" in text
    shown = rec.of("display")[-1]
    assert (shown.kind, shown.title, shown.content) == ("table", "Calls", {"columns": ["who", "n"], "rows": [["Akhil", 1]]})
    assert jobs.get_job(job.id).update_dismissed is True
    assert [e.job_id for e in rec.of("call_update_dismissed")] == [job.id]
    assert "kind=series" in call(box, "show_on_screen", kind="series", content='{"points": [[1, "a"]]}')
    assert "kind must be" in call(box, "show_on_screen", kind="pie", content="x")
    # one series shape on the bus, whichever of the two forms the model wrote
    call(box, "show_on_screen", kind="series", content='{"points": [["Mon", 2.5], ["Tue", 3]]}')
    assert rec.of("display")[-1].content == {"labels": ["Mon", "Tue"], "values": [2.5, 3]}
    call(box, "show_on_screen", kind="series", content='{"labels": ["Mon", "Tue"], "values": [1, 4]}')
    assert rec.of("display")[-1].content == {"labels": ["Mon", "Tue"], "values": [1, 4]}
    assert "one per label" in call(box, "show_on_screen", kind="series", content='{"labels": ["a"], "values": [1, 2]}')


def test_a_number_on_the_do_not_call_list_is_refused_not_offered_again(env):
    box, jobs, _, clock = env
    job = jobs.create_job("+12025550106", "Lee", "the supplier contract", max_retries=3)
    jobs.update_job(job.id, overall_status="DECLINED", final_summary_for_main_agent="Lee asked not to be called again.")
    jobs.add_do_not_call("+12025550106", "Lee asked not to be called again", added_by="the refusal rule",
                         job_id=job.id)
    for again in (False, True):
        text = call(box, "schedule_outbound_call", contact_name="Lee", call_objective="the supplier contract",
                    **({"call_again": True} if again else {}))
        assert "+12025550106 is on the do-not-call list" in text and "call again?" not in text
        assert "lift it in the console's do-not-call list" in text
    assert len(jobs.list_jobs()) == 1


@pytest.mark.parametrize("who", [None, "calls", "my calls"])
def test_any_updates_on_my_calls_returns_every_untold_outcome(env, who):
    box, jobs, _, _ = env
    first = jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=3)
    second = jobs.create_job("+12025550102", "Priya", "the budget", max_retries=3)
    jobs.update_job(first.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid on Monday.")
    jobs.update_job(second.id, overall_status="FAILED_MAX_RETRIES", final_summary_for_main_agent="No answer.")
    args = {} if who is None else {"contact_name": who}
    text = call(box, "check_scheduled_call_status", **args)
    assert "No scheduled call matches" not in text
    assert "Paid on Monday" in text and "No answer" in text and text.endswith("Tell the user these outcomes now.")
    assert jobs.pending_updates() == []
    latest = call(box, "check_scheduled_call_status", **args)  # nothing untold: the most recent call
    assert latest.startswith(f"Job {second.id}") and "already been told" in latest


def test_a_recently_finished_call_is_not_repeated_without_a_yes(env):
    box, jobs, _, clock = env
    call(box, "schedule_outbound_call", contact_name="Akhil", call_objective="Ask about the invoice")
    [job] = jobs.list_jobs()
    jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid.")
    clock.advance(180)
    text = call(box, "schedule_outbound_call", contact_name="Akhil", call_objective="ask about the invoice")
    assert text.startswith("I called Akhil about this 3 minutes ago — call again?") and len(jobs.list_jobs()) == 1
    text = call(box, "schedule_outbound_call", contact_name="Akhil", call_objective="ask about the invoice",
                call_again=True)
    assert text.startswith("Scheduled job") and len(jobs.list_jobs()) == 2
    clock.advance(61 * 60)
    jobs.update_job(jobs.list_jobs()[0].id, overall_status="CANCELLED")
    clock.advance(61 * 60)
    assert call(box, "schedule_outbound_call", contact_name="Akhil",
                call_objective="ask about the invoice").startswith("Scheduled job")
