"""Every hostile string through every console widget: shown as plain text,
never as markup (no crash, no clickable action) and never as a raw terminal
escape; and a finished job with such a name does not stop a later start."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from rich.segment import Segment
from textual.geometry import Region
from textual.widgets import Input

from core import events as ev
from tests.hostile.attacks import ALL, ATTACKS, CLICKABLE, CLOSING_TAG, RAW_CONTROLS
from tests.tui.conftest import SIZE, app_for, wait_for
from tui.screens.job_detail import JobDetailScreen
from tui.screens.schedule import ScheduleCallScreen
from tui.widgets.badges import UpdateBadges
from tui.widgets.display import DisplayPane
from tui.widgets.jobs_table import JobTable

pytestmark = pytest.mark.asyncio

CHROME = ("Footer", "FooterKey", "Header", "HeaderIcon", "HeaderTitle", "Button", "CommandPalette")


def segments(app: Any) -> Iterator[Segment]:
    """Every segment our widgets draw on the current screen (toasts included)."""
    for widget in app.screen.query("*"):
        if type(widget).__name__ in CHROME or not widget.display:
            continue
        width, height = widget.size
        if width and height:
            for strip in widget.render_lines(Region(0, 0, width, height)):
                yield from strip


def assert_drawn_safely(app: Any) -> str:
    drawn = list(segments(app))
    text = "".join(s.text for s in drawn)
    for control in RAW_CONTROLS:
        assert control not in text, f"raw {control!r} reaches the terminal"
    for s in drawn:
        meta = s.style.meta if s.style is not None else {}
        assert "@click" not in meta or "ClickMe" not in s.text, "a name became a clickable action"
    return text


def hostile_jobs(rt: Any) -> None:
    for i, (key, attack) in enumerate(ATTACKS.items()):
        job = rt.jobs.create_job(f"+1202555{i + 100:04d}", attack, f"objective {attack}", max_retries=3)
        attempt = rt.jobs.start_attempt(job.id, 1, attack, "engine")
        rt.jobs.update_attempt(attempt.id, transcript=json.dumps([{"role": "user", "text": attack}]),
                               summary=attack, end_reason=attack, strategist_reasoning_for_attempt=attack)
        rt.jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent=attack)
    rt.conversation.add_turn("s0", "user", ALL, timestamp="2026-01-05T09:00:00.000Z")


async def test_finished_hostile_jobs_start_and_draw_safely(make_runtime):
    rt = make_runtime(setup=hostile_jobs)
    app = app_for(rt)
    async with app.run_test(size=SIZE) as pilot:
        rt.bus.publish(ev.ConnectionStatus(status="connected", message="Connected"))
        badges = app.main_screen.query_one(UpdateBadges)
        await wait_for(pilot, lambda: len(badges.job_ids) == len(ATTACKS))
        await pilot.pause()
        text = assert_drawn_safely(app)
        assert CLOSING_TAG in text and "RED" in text


async def test_live_events_with_hostile_text_draw_safely(make_runtime):
    rt = make_runtime()
    app = app_for(rt)
    async with app.run_test(size=SIZE) as pilot:
        for attack in ATTACKS.values():
            rt.bus.publish(ev.TranscriptTurn(role="user", text=attack, session_id="s1"))
            rt.bus.publish(ev.TranscriptTurn(role="assistant", text=attack, session_id="s1"))
            rt.bus.publish(ev.ToolCalled(name="show_on_screen", arguments=attack, result=attack))
        rt.bus.publish(ev.TranscriptDelta(session_id="s1", item_id="i9", delta=ALL))
        rt.bus.publish(ev.Display(kind="table", title=CLICKABLE,
                                  content={"columns": [CLOSING_TAG, CLICKABLE],
                                           "rows": [[a, a] for a in ATTACKS.values()]}))
        rt.bus.publish(ev.Notice(level="error", text=ALL))
        rt.bus.publish(ev.AudioState(mode="text", reason=ALL))
        rt.bus.publish(ev.VoiceState(state="config_error", detail=ALL))
        pane = app.main_screen.query_one(DisplayPane)
        await wait_for(pilot, lambda: pane.display)
        await pilot.pause()
        text = assert_drawn_safely(app)
        assert CLOSING_TAG in text
        rt.bus.publish(ev.Display(kind="series", title=CLOSING_TAG,
                                  content={"labels": list(ATTACKS.values()), "values": list(range(len(ATTACKS)))}))
        await pilot.pause()
        assert_drawn_safely(app)
        rt.bus.publish(ev.Display(kind="markdown", title=CLOSING_TAG, content=ALL))
        await pilot.pause()
        assert_drawn_safely(app)


async def test_job_detail_of_a_hostile_job_draws_safely(make_runtime):
    rt = make_runtime(setup=hostile_jobs)
    app = app_for(rt)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main_screen.query_one(JobTable)
        for job_id in list(table.order):
            app.push_screen(JobDetailScreen(rt, job_id))
            await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
            rt.bus.publish(ev.CallTranscriptProgress(job_id=job_id, attempt_id=1, messages=[{"role": "user", "text": ALL}]))
            await pilot.pause()
            assert_drawn_safely(app)
            app.pop_screen()
            await pilot.pause()


@pytest.mark.parametrize("name", [CLOSING_TAG, CLICKABLE, ATTACKS["title"]])
async def test_schedule_form_message_with_a_hostile_name(make_runtime, name):
    rt = make_runtime()
    app = app_for(rt)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ScheduleCallScreen(rt))
        await wait_for(pilot, lambda: isinstance(app.screen, ScheduleCallScreen))
        app.screen.query_one("#schedule-name", Input).value = name
        app.screen.query_one("#schedule-objective", Input).value = "the invoice"
        await pilot.click("#schedule-ok")
        await pilot.pause()
        text = assert_drawn_safely(app)
        assert "No contact named" in text


async def test_help_page_draws_safely(make_runtime):
    rt = make_runtime(setup=hostile_jobs)
    app = app_for(rt)
    async with app.run_test(size=SIZE) as pilot:
        app.action_help()
        await pilot.pause()
        assert_drawn_safely(app)
