"""Tool calls read as one plain line, drawn the same live and from history;
a series display reaches the console in the tool's one shape."""
from __future__ import annotations

import json

import pytest

from core import events as ev
from tests.tui.conftest import console, plain, wait_for
from tui.tool_lines import describe
from tui.widgets.display import DisplayPane
from tui.widgets.transcript import Transcript, with_tool_lines
from voice.priming import tool_call_text

CALLS = [
    ("schedule_outbound_call", {"contact_name": "Marco", "call_objective": "Book the review"},
     'Scheduled job 3: a call to Marco (+12025550103) to "Book the review". It is queued; the outcome will follow.',
     "Scheduled a call to Marco — job 3"),
    ("schedule_outbound_call", {"contact_name": "112", "call_objective": "x"},
     "schedule_outbound_call failed: 112 is an emergency number; it is never dialled.",
     "Could not schedule a call to 112: schedule_outbound_call failed: 112 is an emergency number; it is never dialled."),
    ("cancel_scheduled_call", {"job_id": 3}, "Cancelled job 3, the call to Marco.", "Cancelled the call to Marco — job 3"),
    ("check_scheduled_call_status", {"contact_name": "Akhil"},
     'Job 1, the call to Akhil to "Ask about the invoice", has finished (COMPLETED_SUCCESS): pays Friday. Tell the user.',
     "Checked the call to Akhil — job 1: COMPLETED_SUCCESS"),
    ("list_scheduled_calls", {}, "Scheduled calls, newest first:\n- job 2 (...)\n- job 1 (...)", "Listed 2 calls"),
    ("show_on_screen", {"kind": "table", "title": "Today's calls", "content": "{}"}, "Shown on the screen: Today's calls.",
     "Showed Today's calls on the screen"),
]


@pytest.mark.parametrize("name,args,result,line", CALLS, ids=[c[0] + str(i) for i, c in enumerate(CALLS)])
def test_each_tool_reads_as_one_sentence(name, args, result, line):
    assert describe(name, json.dumps(args), result) == line


def test_history_draws_the_same_line_as_live():
    name, args, result, line = CALLS[0]
    history = [
        {"role": "user", "text": "call Marco", "turn_id": 1},
        {"role": "tool_call", "text": tool_call_text(name, json.dumps(args)), "turn_id": 2},
        {"role": "tool_result", "text": result, "turn_id": 3},
        {"role": "assistant", "text": "Done.", "turn_id": 4},
    ]
    drawn = with_tool_lines(history)
    assert [t["role"] for t in drawn] == ["user", "tool", "assistant"]
    assert drawn[1]["text"] == line


@pytest.mark.asyncio
async def test_live_and_after_a_restart_alike(make_runtime):
    name, args, result, line = CALLS[0]

    def setup(rt):
        rt.conversation.add_turn("s1", "tool_call", tool_call_text(name, json.dumps(args)),
                                 timestamp="2026-01-05T09:00:00.000Z")
        rt.conversation.add_turn("s1", "tool_result", result, timestamp="2026-01-05T09:00:01.000Z")

    rt = make_runtime(setup=setup)
    async with console(rt) as (app, pilot):
        transcript = app.main_screen.query_one(Transcript)
        assert [t["text"] for t in transcript.turns] == [line]  # from history
        rt.bus.publish(ev.ToolCalled(name=name, arguments=json.dumps(args), result=result))
        await wait_for(pilot, lambda: len(transcript.turns) == 2)
        assert transcript.turns[0]["text"] == transcript.turns[1]["text"]  # live


@pytest.mark.asyncio
async def test_a_series_from_the_tool_is_charted(runtime):
    from voice.tools import ToolBox

    box = ToolBox(runtime.jobs, runtime.config.settings, runtime.bus, runtime.clock)
    async with console(runtime) as (app, pilot):
        answer = box.run("show_on_screen", json.dumps({"kind": "series", "title": "Calls per day",
                                                        "content": json.dumps({"points": [["Mon", 2], ["Tue", 4]]})}))
        assert answer.startswith("Shown")
        pane = app.main_screen.query_one(DisplayPane)
        await wait_for(pilot, lambda: pane.display and "Tue" in plain(pane))
        text = plain(pane)
        assert "(no data)" not in text and "█" * 30 in text and "Mon" in text
