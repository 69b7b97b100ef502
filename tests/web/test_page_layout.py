"""The page at a phone's, a laptop's and a wide screen's width: nothing
runs off to the right, the badges never cover a call, and "Next try" is
local time as in the console. Screenshots go to test-artifacts/web/."""
from __future__ import annotations

import pytest

from core.events import ConnectionStatus
from tests.web.test_browser import TIMEOUT_MS, browser, shot  # noqa: F401  (the module's Chromium fixture)

WIDTHS = [420, 1280, 1920]


def busy(runtime) -> list[dict]:
    runtime.bus.publish(ConnectionStatus(status="connected", message="Connected"))
    jobs = []
    for i, (name, objective) in enumerate([
        ("Akhil", "Ask about the overdue invoice from March and agree on a date to pay it, in full or in parts"),
        ("Priya", "Confirm next quarter's budget with finance and ask whether the travel line can grow"),
        ("Marco", "Book the sales review for the week after next"),
        ("Dana", "Move the dentist appointment to a Friday afternoon"),
    ]):
        job = runtime.jobs.create_job(f"+1202555010{i}", name, objective, max_retries=3)
        jobs.append(job)
    runtime.jobs.update_job(jobs[1].id, overall_status="RETRY_SCHEDULED", retries_attempted=1,
                            next_retry_at="2026-01-05T10:10:00.000Z")
    for job, status, summary in ((jobs[0], "COMPLETED_SUCCESS", "Akhil will pay the whole invoice on Friday."),
                                 (jobs[3], "FAILED_MAX_RETRIES", "No answer after three tries.")):
        runtime.jobs.update_job(job.id, overall_status=status, final_summary_for_main_agent=summary)
    return jobs


@pytest.mark.parametrize("width", WIDTHS)
def test_layout_at_three_widths(browser, mirror, runtime, width):  # noqa: F811
    jobs = busy(runtime)
    context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id="America/New_York")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(mirror.link)
        page.wait_for_selector("body[data-mirror=live]")
        page.locator(".badge").nth(1).wait_for()
        shot(page, f"layout-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing off to the right"
        table = page.locator("#jobs").bounding_box()
        pane = page.locator(".jobs-pane").bounding_box()
        assert table["x"] + table["width"] <= pane["x"] + pane["width"] + 1, "the calls fit their pane"
        # the badges sit in their own bar: no call row is under one
        badges = [page.locator(".badge").nth(i).bounding_box() for i in range(page.locator(".badge").count())]
        bar = page.locator(".status-bar").bounding_box()
        assert all(b["y"] >= bar["y"] - 1 for b in badges)
        assert page.locator(".panes").bounding_box()["y"] + page.locator(".panes").bounding_box()["height"] <= bar["y"] + 1
        assert {page.locator(".badge").nth(i).get_attribute("class") for i in range(2)} == {"badge success",
                                                                                            "badge failure"}
        # 10:10 UTC is 05:10 in New York; another day than today, so with its date
        next_try = page.locator(f"#jobs tr[data-job-id='{jobs[1].id}'] td[data-label='Next try']").inner_text()
        assert "05:10" in next_try and "T" not in next_try and "Z" not in next_try
        if width <= 760:  # each call a card with labelled lines
            assert not page.locator("#jobs thead").is_visible()
    finally:
        context.close()
