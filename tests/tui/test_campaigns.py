"""The campaigns screen by its keys and the palette: open it (C), pause,
resume, cancel (asked first), export, import a list (a missing file, the
report, confirm), and one campaign's jobs filtered, searched, sorted."""
from __future__ import annotations

import csv

import pytest
from textual.widgets import Button, DataTable, Input, Static

from tests.campaign_fixtures import TEMPLATE, make_campaign
from tests.tui.conftest import console, plain, wait_for, wait_for_notice
from tui.screens.campaign import CampaignScreen
from tui.screens.campaign_import import ImportCampaignScreen
from tui.screens.campaigns import CampaignsScreen
from tui.widgets.campaign_jobs import PagedJobTable

pytestmark = pytest.mark.asyncio


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_campaigns(app, pilot) -> CampaignsScreen:
    await pilot.press("C")
    screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, CampaignsScreen) else None)
    await wait_for(pilot, lambda: screen.loaded)
    return screen


async def test_c_opens_the_campaigns_with_their_progress(runtime):
    make_campaign(runtime.jobs, n=12)
    async with console(runtime) as (app, pilot):
        screen = await open_campaigns(app, pilot)
        (row,) = table_rows(screen)
        assert row[0] == "December invoices" and row[1] == "active" and "50%" in row[2]
        assert row[3:6] == ["6/12", "50%", "$3.36"]
        summary = plain(screen.query_one("#campaigns-selected", Static))
        assert "4 waiting · 1 to retry · 1 in a call · 3 succeeded" in summary
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CampaignsScreen))


async def test_the_palette_opens_the_campaigns_and_offers_their_actions(runtime):
    make_campaign(runtime.jobs, n=3)
    async with console(runtime) as (app, pilot):
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Campaigns: progress")
        await pilot.pause(0.3)
        await pilot.press("enter")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, CampaignsScreen) else None)
        await wait_for(pilot, lambda: screen.loaded)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Pause the campaign")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for_notice(pilot, app, "Campaign December invoices paused")
    assert runtime.jobs.campaign("December invoices").status == "PAUSED"


async def test_pause_resume_and_cancel_after_asking(runtime):
    make_campaign(runtime.jobs, n=12)
    async with console(runtime) as (app, pilot):
        screen = await open_campaigns(app, pilot)
        await pilot.press("p")
        await wait_for_notice(pilot, app, "paused: no new call starts")
        await wait_for(pilot, lambda: table_rows(screen)[0][1] == "paused")
        await pilot.press("p")
        await wait_for_notice(pilot, app, "is already paused")
        await pilot.press("r")
        await wait_for(pilot, lambda: table_rows(screen)[0][1] == "active")

        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("n")  # kept
        await wait_for(pilot, lambda: app.screen is screen)
        assert runtime.jobs.campaign("December invoices").status == "ACTIVE"
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("y")
        await wait_for_notice(pilot, app, "cancelled: 6 unfinished calls cancelled")
        await wait_for(pilot, lambda: table_rows(screen)[0][1] == "cancelled")


async def test_export_writes_one_row_per_callee(runtime):
    make_campaign(runtime.jobs, n=5)
    async with console(runtime) as (app, pilot):
        await open_campaigns(app, pilot)
        await pilot.press("e")
        notice = await wait_for_notice(pilot, app, "exported to")
    (path,) = (runtime.config.data_dir / "exports").glob("campaign-December-invoices-*.csv")
    assert str(path) in notice
    with path.open(encoding="utf-8") as f:
        assert [r["contact_name"] for r in csv.DictReader(f)] == [f"{n} {i}" for i, n in enumerate(
            ["Akhil", "Priya", "Marco", "Dana", "Chen"])]


async def type_into(pilot, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector, Input).value = text
    await pilot.pause()


async def test_import_from_the_console_checks_then_confirms(runtime, tmp_path):
    listing = tmp_path / "december.csv"
    listing.write_text("phone,name,invoice,timezone\n"
                       "+12025552001,Akhil,INV-1,America/New_York\n"
                       "911,Nobody,INV-2,\n"
                       "+12025552002,Priya,INV-3,Mars/Olympus\n"
                       "+12025552003,Marco,INV-4,Europe/Rome\n"
                       "+12025552001,Akhil again,INV-5,\n"
                       "+12025552004,Dana,INV-6,\n", encoding="utf-8")
    async with console(runtime) as (app, pilot):
        await open_campaigns(app, pilot)
        await pilot.press("i")
        dialog = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, ImportCampaignScreen) else None)
        report = lambda: plain(dialog.query_one("#import-report", Static))  # noqa: E731

        await type_into(pilot, "#import-file", str(tmp_path / "missing.csv"))
        await type_into(pilot, "#import-name", "December invoices")
        await type_into(pilot, "#import-objective", TEMPLATE)
        await pilot.click("#import-check")
        await wait_for(pilot, lambda: "no such file" in report())
        assert "Cannot import" in report() and dialog.query_one("#import-confirm", Button).disabled

        await type_into(pilot, "#import-file", str(listing))
        await pilot.click("#import-check")
        await wait_for(pilot, lambda: "rows read" in report())
        text = report()
        assert "6 rows read: 3 to import, 3 rejected." in text
        assert "line 3: " in text and "line 4: 'Mars/Olympus' is not a time zone" in text
        assert "line 6: +12025552001 is already on line 2." in text
        assert "Remind Akhil that invoice INV-1 is overdue" in text and "Remind Dana that invoice INV-6" in text
        assert runtime.jobs.campaign("December invoices") is None  # nothing written before the confirmation
        confirm = dialog.query_one("#import-confirm", Button)
        assert str(confirm.label) == "Import 3 calls" and not confirm.disabled

        await pilot.click("#import-confirm")
        await wait_for_notice(pilot, app, "Campaign December invoices: 3 calls imported.")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, CampaignsScreen) else None)
        await wait_for(pilot, lambda: table_rows(screen)[0][0] == "December invoices")
    assert runtime.jobs.count_campaign_jobs(runtime.jobs.campaign("December invoices").id) == 3


async def test_one_campaign_filtered_searched_sorted(runtime):
    make_campaign(runtime.jobs, n=450)
    async with console(runtime) as (app, pilot):
        await open_campaigns(app, pilot)
        await pilot.press("o")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, CampaignScreen) else None)
        table = screen.query_one(PagedJobTable)
        title = lambda: str(table.border_title)  # noqa: E731
        await wait_for(pilot, lambda: table.total == 450 and table.selected_job() is not None)
        assert title() == "Jobs (450) · in list order"
        assert "Outcomes" in str(screen.query_one("#campaign-chart").border_title)
        assert "succeeded" in plain(screen.query_one("#campaign-chart", Static))

        await pilot.press("end")  # the last page is read when it is shown
        await wait_for(pilot, lambda: table.selected_job() is not None and table.selected_job().contact_name
                       == "Olu 449")
        await pilot.press("f")  # waiting
        await wait_for(pilot, lambda: table.total == 443)
        assert "waiting" in title()
        await pilot.press("f")  # in a call
        await wait_for(pilot, lambda: table.total == 1 and table.selected_job() is not None)
        assert table.selected_job().overall_status == "PROCESSING"
        for _ in range(4):  # round to every status again
            await pilot.press("f")
        await wait_for(pilot, lambda: table.total == 450)

        await pilot.press("slash")
        await pilot.press(*"priya 1")
        priyas = [i for i in range(450) if i % 12 == 1 and str(i).startswith("1")]
        await wait_for(pilot, lambda: table.total == len(priyas) and table.selected_job() is not None)
        assert table.selected_job().contact_name == f"Priya {priyas[0]}"
        await pilot.press("enter")
        assert table.has_focus
        await pilot.press("s")  # by name
        await wait_for(pilot, lambda: "by name" in title() and table.selected_job() is not None)
        assert title() == f"Jobs ({len(priyas)}) · search: priya 1 · by name"
        assert table.selected_job().contact_name == "Priya 1"
        await pilot.press("o")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "JobDetailScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("escape")  # back to the campaigns
        await wait_for(pilot, lambda: isinstance(app.screen, CampaignsScreen))


async def test_the_open_page_follows_the_campaigns_progress(runtime):
    from core.events import CampaignsProgress
    from tests.campaign_fixtures import set_statuses

    campaign = make_campaign(runtime.jobs, n=30)
    async with console(runtime) as (app, pilot):
        await open_campaigns(app, pilot)
        await pilot.press("o")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, CampaignScreen) else None)
        table = screen.query_one(PagedJobTable)
        await pilot.press("f")  # waiting
        await wait_for(pilot, lambda: table.total == 23 and table.selected_job() is not None)

        set_statuses(runtime.jobs, campaign.id, ["COMPLETED_SUCCESS"] * 20)  # engines called twelve more
        runtime.bus.publish(CampaignsProgress(campaigns=[p.to_dict() for p in runtime.jobs.campaigns_progress()]))
        await wait_for(pilot, lambda: table.total == 10 and str(table.border_title).startswith("Jobs (10)"))
        assert "20 succeeded" in plain(screen.query_one("#campaign-head", Static))
        await wait_for(pilot, lambda: table.selected_job() is not None and not table.stale)
        assert table.selected_job().overall_status in ("PENDING", "RETRY_SCHEDULED")
