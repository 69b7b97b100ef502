"""The whole app through the console with the real simulators: type a
request, watch the call job run to COMPLETED_SUCCESS and its update badge
appear, dismiss it."""
from __future__ import annotations

import pytest

from textual.widgets import Input

from core.records import JobStatus
from tests.tui.conftest import SIZE, wait_for
from tui.app import SwitchboardApp
from tui.widgets.badges import UpdateBadges
from tui.widgets.jobs_table import JobTable
from tui.widgets.transcript import Transcript

pytestmark = pytest.mark.asyncio


class RecordingApp(SwitchboardApp):
    """Keeps every badge set shown: the assistant may tell the user (which
    clears the badge) within moments of the call finishing."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.badge_history: list[list[int]] = []

    def on_update_badges_changed(self, message: UpdateBadges.Changed) -> None:
        self.badge_history.append(message.job_ids)


@pytest.fixture
def sim_runtime(tmp_path):
    from core.clock import SystemClock
    from core.runtime import Runtime
    from tests.tui.conftest import load_config

    cfg = load_config(tmp_path, "simulate", sim={"speed": 50.0}, calling={"poll_interval_s": 0.05},
                      voice={"audio": "off"})
    rt = Runtime.build(cfg, clock=SystemClock())
    yield rt
    rt.close()


async def test_call_akhil_about_the_invoice(sim_runtime):
    rt = sim_runtime
    app = RecordingApp(rt)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        assert "SIMULATION" in app.sub_title
        await wait_for(pilot, lambda: rt.state.connection.status == "connected", timeout=30)
        await pilot.press("i")
        prompt = app.main_screen.query_one("#prompt", Input)
        prompt.value = "call Akhil about the invoice"
        await pilot.press("enter")
        transcript = app.main_screen.query_one(Transcript)
        await wait_for(pilot, lambda: any("Akhil" in t["text"] for t in transcript.turns if t["role"] == "user"),
                       timeout=30)
        job = await wait_for(pilot, lambda: next(iter(rt.jobs.list_jobs()), None), timeout=30)
        table = app.main_screen.query_one(JobTable)
        await wait_for(pilot, lambda: str(table.get_cell(str(job.id), "status")) == JobStatus.COMPLETED_SUCCESS,
                       timeout=90)
        await wait_for(pilot, lambda: any(job.id in ids for ids in app.badge_history), timeout=30)
        badges = app.main_screen.query_one(UpdateBadges)
        if job.id in badges.job_ids:  # not yet told by the assistant: the operator dismisses it
            await pilot.press("escape", "d")
            await wait_for(pilot, lambda: job.id not in badges.job_ids)
        final = rt.jobs.get_job(job.id)
        assert final.update_dismissed or final.main_agent_informed_user
        await pilot.press("escape", "q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=20)
    assert app.return_code == 0


async def test_dropped_socket_shows_the_banner_then_recovers(sim_runtime):
    from tests.tui.conftest import plain
    from tui.widgets.banner import RECONNECTING, ConnectionBanner

    rt = sim_runtime
    app = SwitchboardApp(rt)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        banner = app.main_screen.query_one(ConnectionBanner)
        await wait_for(pilot, lambda: "assistant connected" in plain(banner), timeout=30)
        # refused for a few seconds after the drop, so the outage lasts long enough to see
        await pilot.click("#fault-refuse")
        await pilot.click("#fault-drop")
        await wait_for(pilot, lambda: RECONNECTING in plain(banner) and banner.has_class("reconnecting"), timeout=20)
        await wait_for(pilot, lambda: "assistant connected" in plain(banner) and banner.has_class("connected"),
                       timeout=40)
        await pilot.press("escape", "q")  # the fault buttons take no focus: the prompt still has it
        await wait_for(pilot, lambda: app.return_code is not None, timeout=20)
