"""Notices never lie over what an operator clicks: the job table, the
prompt, the badges, the simulator panel's buttons and the footer stay clear
at the smallest and a large terminal, and the newest notice is in view."""
from __future__ import annotations

import pytest
from textual.widgets import Button, Footer, Input

from tests.tui.conftest import app_for, fake_sims, finish_job, notices, wait_for
from tests.tui.test_snapshots import LARGE, SMALL, busy
from tui.widgets.badges import UpdateBadges
from tui.widgets.jobs_table import JobTable
from tui.widgets.transcript import Transcript

pytestmark = pytest.mark.asyncio

NOTICES = ("Simulator fault: Drop socket", "Job 3 will be dialled now.",
           "Could not cancel job 2: OperationalError: database is locked (the calls database is busy; "
           "it will be tried again)", "Mirror link copied to the clipboard (if your terminal allows it).")


def clickable(app) -> list:
    screen = app.main_screen
    found = [screen.query_one(JobTable), screen.query_one("#prompt", Input), screen.query_one(Footer)]
    found += [b for b in screen.query(Button) if b.region]  # the simulator's buttons, when shown
    found += [b for b in screen.query(UpdateBadges) if b.region]
    return found


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x60"])
async def test_notices_leave_everything_clickable_in_the_clear(make_runtime, size):
    rt = make_runtime("simulate", sims=fake_sims())
    busy(rt)
    app = app_for(rt)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        for text in NOTICES:
            app.notify(text, title="SIMULATION" if text.startswith("Simulator") else "")
        await wait_for(pilot, lambda: all(any(text[:20] in n for n in notices(app)) for text in NOTICES))
        rack = app.screen.query_one("#textual-toastrack")
        # the newest in view, once the notices have settled where they go
        await wait_for(pilot, lambda: (newest := app.screen.query("Toast").last()).region
                       and rack.region.contains_region(newest.region))
        assert app.main_screen.query_one(Transcript).region.contains_region(rack.region)
        toasts = [t.region for t in app.screen.query("Toast")]
        for widget in clickable(app):
            hidden = [t for t in toasts if t.overlaps(widget.region)]
            assert not hidden, f"a notice lies over {widget!r}"


async def test_a_button_under_where_notices_were_is_clicked(make_runtime):
    sims = fake_sims()
    rt = make_runtime("simulate", sims=sims)
    finish_job(rt, rt.jobs.create_job("+12025550101", "Akhil", "Ask", max_retries=3).id)
    app = app_for(rt)
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        for text in NOTICES:
            app.notify(text)
        await pilot.click("#fault-ultravox")
        await pilot.click("#fault-reset")
        await wait_for(pilot, lambda: sims.faults.snapshot()["http_failures"] == {})
        await wait_for(pilot, lambda: any("Reset faults" in n for n in notices(app)))
