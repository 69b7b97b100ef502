"""Campaigns in the browser page: in the snapshot, then live from
``campaigns_progress`` and ``campaign_changed``; a hostile name stays
text. Screenshot at 1280 px in test-artifacts/web/."""
from __future__ import annotations

import requests

from core.events import CampaignsProgress
from tests.campaign_fixtures import make_campaign, set_statuses
from tests.web.conftest import TOKEN
from tests.web.test_browser import XSS, browser, page, shot  # noqa: F401  (the module's Chromium fixtures)


def rows(page) -> list[str]:
    return page.eval_on_selector_all("#campaigns li.campaign", "els => els.map(e => e.textContent)")


def test_campaign_progress_in_the_snapshot_and_live(runtime, mirror, browser, recorder):  # noqa: F811
    december = make_campaign(runtime.jobs, "December invoices", n=12)
    make_campaign(runtime.jobs, f"Suppliers {XSS}", n=4, statuses=["COMPLETED_SUCCESS"])
    runtime.campaigns.refresh()  # what the campaigns worker does when a campaign changes

    state = requests.get(f"{mirror.url}/api/state", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).json()
    assert [p["campaign"]["name"] for p in state["campaigns"]] == [f"Suppliers {XSS}", "December invoices"]

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        pg.goto(mirror.link)
        pg.wait_for_selector("body[data-mirror=live]")
        pg.wait_for_selector("#campaigns-pane:not([hidden])")
        first, second = rows(pg)
        assert f"Suppliers {XSS}" in first and "1/4 done (25%)" in first  # the name is text, never markup
        assert pg.query_selector("#campaigns img") is None and not dialogs
        assert "6/12 done (50%)" in second and "success 50%" in second and "$3.36" in second
        assert "4 waiting" in second and "1 in a call" in second and "3 succeeded" in second
        bar = pg.get_attribute("li.campaign[data-campaign-id='%d'] .bar" % december.id, "aria-valuenow")
        assert bar == "6"

        # live: the engines move jobs on, the worker reads again, the page follows
        set_statuses(runtime.jobs, december.id, ["COMPLETED_SUCCESS"] * 12)
        runtime.campaigns.refresh()
        assert len(recorder.of(CampaignsProgress.type)) == 2
        pg.wait_for_function("() => document.querySelectorAll('#campaigns li')[1].textContent.includes('12/12')")

        runtime.jobs.pause_campaign("suppliers " + XSS)
        pg.wait_for_function(
            "() => document.querySelector('#campaigns li .state').textContent === 'paused'")
        shot(pg, "campaigns-1280")
    finally:
        context.close()
