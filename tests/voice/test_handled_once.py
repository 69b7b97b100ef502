"""Handled once: a request the assistant answered is history in the next
session, never a new request; a tool call runs once per call id whatever
arrives again; the user's turn is logged once, in its place. Over the
Realtime simulator with its fault switches (malformed events, drops,
replayed events)."""
from __future__ import annotations

from core.records import JobStatus
from tests.helpers import told_but_not_said
from tests.voice.conftest import wait_for

REQUEST = "call Akhil in Operations about the March invoice"


def scheduled_answer(harness):
    return [t for t in harness.turns() if t.role == "assistant" and t.content.startswith("I've scheduled")]


def test_malformed_events_then_a_drop_after_the_call_never_dial_twice(harness, tap):
    worker = harness.start(voice={"history_turns": 20})
    harness.wait_state("primed")
    # the user item's conversation.item.added and .done, and response.created, arrive cut in half
    harness.sims.faults.malform_next("realtime", 3)
    worker.send_text(REQUEST)
    wait_for(lambda: scheduled_answer(harness), what="the answer")
    [job] = harness.jobs.list_jobs()
    harness.jobs.update_job(job.id, overall_status=JobStatus.COMPLETED_SUCCESS,
                            final_summary_for_main_agent="Akhil says the March invoice is paid.")
    wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what="the outcome said")
    harness.sims.faults.trigger("drop")
    harness.wait_state("primed", 2)
    worker.send_text("Repeat after me: still one call")
    wait_for(lambda: any(t.content == "still one call" for t in harness.turns()), what="the next answer")
    assert len(harness.jobs.list_jobs()) == 1, "the answered request was handled again"
    assert not worker.outbox
    turns = harness.turns()
    users = [t.content for t in turns if t.role == "user"]
    assert users == [REQUEST, "Repeat after me: still one call"]
    assert turns[0].role == "user" and turns[0].content == REQUEST  # logged once, before its answer
    assert [t.role for t in turns[:4]] == ["user", "tool_call", "tool_result", "assistant"]
    assert len([e for e in tap.events("conversation.item.create") if e["item"].get("role") == "user"
                and e["item"]["content"][0]["text"] == REQUEST and not e["item"]["id"].startswith("h")]) == 1
    assert told_but_not_said(harness.jobs, harness.conversation) == []


def test_replayed_server_events_run_each_tool_call_once(harness, tap):
    worker = harness.start()
    harness.wait_state("primed")
    harness.sims.faults.duplicate_next(60)  # every event of the exchange arrives twice
    worker.send_text(REQUEST)
    wait_for(lambda: scheduled_answer(harness), what="the answer")
    calls = [e for e in tap.server_events("response.output_item.done") if e["item"]["type"] == "function_call"]
    assert len(calls) == 2 and calls[0]["item"]["call_id"] == calls[1]["item"]["call_id"]
    assert len(harness.jobs.list_jobs()) == 1
    assert [c.name for c in harness.rec.of("tool_called")] == ["schedule_outbound_call"]
    turns = harness.turns()
    assert [t.role for t in turns].count("tool_call") == 1
    assert [t.content for t in turns if t.role == "user"] == [REQUEST]


def test_the_same_call_soon_after_it_finished_asks_before_dialling_again(harness, tap):
    worker = harness.start()
    harness.wait_state("primed")
    worker.send_text(REQUEST)
    wait_for(lambda: scheduled_answer(harness), what="the first answer")
    [job] = harness.jobs.list_jobs()
    harness.jobs.update_job(job.id, overall_status=JobStatus.COMPLETED_SUCCESS,
                            final_summary_for_main_agent="Akhil says the March invoice is paid.")
    worker.send_text(REQUEST)
    asked = wait_for(lambda: [t for t in harness.turns() if t.role == "assistant" and "call again?" in t.content],
                     what="the question")
    assert asked[0].content.startswith("I called Akhil about this just now — call again?")
    assert len(harness.jobs.list_jobs()) == 1
    worker.send_text("yes, call again")
    wait_for(lambda: len(harness.jobs.list_jobs()) == 2, what="the second job after the yes")
