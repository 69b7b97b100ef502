"""The prompt sends exactly what was typed, once: two submissions in the
same tick, and a paste of several lines, through the real simulators."""
from __future__ import annotations

import pytest
from textual import events

from tests.tui.conftest import SIZE, load_config, wait_for
from tui.app import SwitchboardApp
from tui.widgets.prompt import Prompt
from tui.widgets.transcript import Transcript

pytestmark = pytest.mark.asyncio


@pytest.fixture
def sim_runtime(tmp_path):
    from core.clock import SystemClock
    from core.runtime import Runtime

    cfg = load_config(tmp_path, "simulate", sim={"speed": 50.0}, voice={"audio": "off"})
    rt = Runtime.build(cfg, clock=SystemClock())
    yield rt
    rt.close()


def user_turns(rt) -> list[str]:
    return [t.content for t in rt.conversation.get_recent_turns(100) if t.role == "user"]


def said(rt) -> list[str]:
    return [t.content for t in rt.conversation.get_recent_turns(100) if t.role == "assistant"]


async def test_two_submissions_in_one_tick_each_send_their_own_text_once(sim_runtime):
    rt = sim_runtime
    app = SwitchboardApp(rt)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: rt.state.connection.status == "connected", timeout=30)
        prompt = app.main_screen.query_one("#prompt", Prompt)
        # keys as a fast typist (or tmux send-keys) delivers them: all in one tick
        for char in "Repeat after me: first\rRepeat after me: second\r":
            key = {" ": "space", ":": "colon", "\r": "enter"}.get(char, char)
            app.post_message(events.Key(key, char))
        await pilot.pause()
        assert prompt.value == ""
        await wait_for(pilot, lambda: " ".join(said(rt)) == "first second", timeout=30)
        assert user_turns(rt) == ["Repeat after me: first", "Repeat after me: second"]
        assert said(rt) in (["first second"], ["first", "second"])  # each answered once, in order
        transcript = app.main_screen.query_one(Transcript)
        shown = [t["text"] for t in transcript.turns if t["role"] == "user"]
        assert shown == ["Repeat after me: first", "Repeat after me: second"]  # each echoed once


async def test_a_two_line_paste_is_one_message_sent_as_pasted(sim_runtime):
    rt = sim_runtime
    app = SwitchboardApp(rt)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: rt.state.connection.status == "connected", timeout=30)
        prompt = app.main_screen.query_one("#prompt", Prompt)
        prompt.insert_text_at_cursor("Repeat after me: ")
        prompt.post_message(events.Paste("the first line\nthe second line"))
        await wait_for(pilot, lambda: said(rt), timeout=30)
        assert user_turns(rt) == ["Repeat after me: the first line\nthe second line"]
        assert said(rt) == ["the first line\nthe second line"]
        assert prompt.value == ""
        prompt.post_message(events.Paste("one line"))  # a single line is inserted for editing, not sent
        await pilot.pause()
        assert prompt.value == "one line" and len(user_turns(rt)) == 1


def burst(text: str) -> list[events.Key]:
    """Keys as the terminal driver posts them when they arrive in one read
    (fast typing, or `tmux send-keys 'a' Enter 'b' Enter`)."""
    return [events.Key("enter", "\r") if ch == "\n" else events.Key(ch if ch != " " else "space", ch) for ch in text]


async def test_lines_that_arrive_in_one_read_are_sent_separately(sim_runtime):
    rt = sim_runtime
    app = SwitchboardApp(rt)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: rt.state.connection.status == "connected", timeout=30)
        for key in burst("Repeat after me: first\nRepeat after me: second\n"):
            app.post_message(key)  # no pause between keys: the driver's order, one tick
        await wait_for(pilot, lambda: len(user_turns(rt)) == 2, timeout=30)
        assert user_turns(rt) == ["Repeat after me: first", "Repeat after me: second"]
        assert app.main_screen.query_one("#prompt", Prompt).value == ""
