"""How the campaign views look at 80x24 and 200x60 on a FixedClock. Update
with --snapshot-update, then look at them."""
from __future__ import annotations

import pytest

from tests.campaign_fixtures import TEMPLATE, make_campaign
from tests.tui.conftest import app_for, wait_for
from tests.tui.test_snapshots import still

SIZES = {"80x24": (80, 24), "200x60": (200, 60)}
HOSTILE = "Suppliers [bold red]before[/] the holidays\x1b[2J"


def two_campaigns(rt) -> None:
    make_campaign(rt.jobs, HOSTILE, n=40, statuses=["COMPLETED_SUCCESS"] * 30 + ["DECLINED"] * 4,
                  calling_window="09:00-17:00", deadline_at="2026-01-06T18:00:00.000Z")
    rt.jobs.pause_campaign(HOSTILE)
    make_campaign(rt.jobs, "December invoices", n=300, max_concurrent=5)
    rt.clock.advance(3600)  # an hour of calling: the time left is estimated from it


def open_campaigns(*more: str):
    async def run(pilot) -> None:
        from tui.screens.campaigns import CampaignsScreen

        await pilot.press("escape", "C")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CampaignsScreen) and pilot.app.screen.loaded)
        if more:
            await pilot.press(*more)
        await pilot.pause(0.2)
    return run


@pytest.mark.parametrize("size", SIZES)
def test_campaigns(snap_compare, make_runtime, size):
    rt = make_runtime(setup=two_campaigns)
    assert snap_compare(app_for(rt), terminal_size=SIZES[size], run_before=still(open_campaigns()))


@pytest.mark.parametrize("size", SIZES)
def test_no_campaigns_yet(snap_compare, runtime, size):
    assert snap_compare(app_for(runtime), terminal_size=SIZES[size], run_before=still(open_campaigns()))


@pytest.mark.parametrize("size", SIZES)
def test_import_report(snap_compare, make_runtime, tmp_path, size):
    from textual.widgets import Input, Static

    listing = tmp_path / "list.csv"
    listing.write_text("phone,name,invoice\n+12025552001,Akhil,INV-1\n112,Nobody,INV-2\n"
                       "+12025552002,Priya,\n+12025552003,Marco,INV-4\n+12025552004,Dana,INV-5\n", encoding="utf-8")
    rt = make_runtime()

    async def fill(pilot) -> None:
        await open_campaigns("i")(pilot)
        screen = pilot.app.screen
        for name, value in (("file", str(listing)), ("name", "December invoices"), ("objective", TEMPLATE)):
            screen.query_one(f"#import-{name}", Input).value = value
        await pilot.click("#import-check")
        await wait_for(pilot, lambda: "rows read" in str(screen.query_one("#import-report", Static).content))
        # the path is the test's own folder: shown as a fixed one
        checked = screen.checked
        screen.query_one("#import-file", Input).value = "/home/operator/lists/december.csv"
        await pilot.pause()
        screen.checked_now(checked)

    assert snap_compare(app_for(rt), terminal_size=SIZES[size], run_before=still(fill))


@pytest.mark.parametrize("size", SIZES)
def test_campaign_page(snap_compare, make_runtime, size):
    rt = make_runtime(setup=two_campaigns)

    async def open_page(pilot) -> None:
        from tui.screens.campaign import CampaignScreen
        from tui.widgets.campaign_jobs import PagedJobTable

        await open_campaigns("o")(pilot)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CampaignScreen))
        table = pilot.app.screen.query_one(PagedJobTable)
        await wait_for(pilot, lambda: table.total == 300 and table.selected_job() is not None)

    assert snap_compare(app_for(rt), terminal_size=SIZES[size], run_before=still(open_page))


def test_campaign_page_searched_and_filtered(snap_compare, make_runtime):
    rt = make_runtime(setup=two_campaigns)

    async def search(pilot) -> None:
        from tui.screens.campaign import CampaignScreen
        from tui.widgets.campaign_jobs import PagedJobTable

        await open_campaigns("down", "o")(pilot)  # the paused one, with its hostile name
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CampaignScreen))
        table = pilot.app.screen.query_one(PagedJobTable)
        await pilot.press("f", "f", "f", "f", "slash", *"ravi")  # not succeeded, named Ravi
        await wait_for(pilot, lambda: table.total == 1 and table.selected_job() is not None)

    assert snap_compare(app_for(rt), terminal_size=SIZES["80x24"], run_before=still(search))
