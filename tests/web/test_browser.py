"""The page in Debian's Chromium (Playwright): banner, badges and their
two-way dismiss, XSS inertness, the display pane, reconnect after restart.
Screenshots go to test-artifacts/web/."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest
import requests

from core.events import (
    CallUpdateDismissed, ConnectionStatus, Display, Mode, Notice, TranscriptDelta, TranscriptTurn,
)
from core.records import Job
from tests.conftest import need
from tests.web.conftest import TOKEN, wait_for
from web_mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        need(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, mirror, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.goto(mirror.link)  # sets the cookie, redirects to /
    assert pg.url == mirror.url + "/"
    pg.wait_for_selector("body[data-mirror=live]")
    yield pg
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def finished_job(runtime, name: str = "Akhil", summary: str = "Invoice paid on Friday.") -> Job:
    job = runtime.jobs.create_job("+12025550101", name, "Ask about the invoice", max_retries=3)
    return runtime.jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent=summary)


def test_banner_appears_and_disappears_on_connection_events(page, runtime, mirror):
    banner = page.locator("#connection-banner")
    banner.wait_for(state="visible")  # the assistant has not connected yet
    runtime.bus.publish(ConnectionStatus(status="connected", message="Agent is connected."))
    banner.wait_for(state="hidden")
    shot(page, "banner-hidden")
    # an outside producer's POST drives it the same way
    res = requests.post(mirror.url + "/api/ui_status_update", headers={"Authorization": f"Bearer {TOKEN}"},
                        json={"type": "connection_status", "status": "disconnected", "message": "lost"}, timeout=5)
    assert res.status_code == 200
    banner.wait_for(state="visible")
    assert banner.inner_text().startswith("Assistant connectivity issues. Attempting to reconnect")
    box = banner.bounding_box()
    assert box["x"] < 100 and box["y"] > 600, "bottom-left"
    assert page.evaluate("getComputedStyle(document.getElementById('connection-banner')).animationName") != "none"
    shot(page, "banner-visible")
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    banner.wait_for(state="hidden")
    assert page.console_errors == []


def test_badge_appears_and_dismiss_syncs_both_ways(page, runtime, mirror, recorder):
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    job = finished_job(runtime)
    badge = page.locator(f".badge[data-job-id='{job.id}']")
    badge.wait_for(state="visible")
    assert "Update on call to Akhil available" in badge.inner_text()
    assert "Invoice paid on Friday." in badge.inner_text()
    box = badge.bounding_box()
    assert box["x"] > 640 and box["y"] > 600, "bottom-right"
    shot(page, "badge")
    # browser → console: the click POSTs, the console hears call_update_dismissed
    badge.locator("button.dismiss").click()
    badge.wait_for(state="detached")
    assert any(e.job_id == job.id for e in recorder.of("call_update_dismissed"))
    assert runtime.jobs.get_job(job.id).update_dismissed is True
    assert runtime.state.updates() == []
    # console → browser: an outside update dismissed from the console goes away in the page
    res = requests.post(mirror.url + "/api/notify_call_update_available", headers={"Authorization": f"Bearer {TOKEN}"},
                        json={"contact_name": "Priya", "status_summary": "Will call back."}, timeout=5)
    badge_id = res.json()["job_id"]
    other = page.locator(f".badge[data-job-id='{badge_id}']")
    other.wait_for(state="visible")
    assert "Update on call to Priya available" in other.inner_text()
    runtime.actions.dismiss_update(badge_id)
    other.wait_for(state="detached")
    # and a second finished job's badge from the console side
    job2 = finished_job(runtime, "Marco", "No answer.")
    page.locator(f".badge[data-job-id='{job2.id}']").wait_for(state="visible")
    runtime.actions.dismiss_update(job2.id)
    page.locator(f".badge[data-job-id='{job2.id}']").wait_for(state="detached")
    shot(page, "badges-dismissed")


def badges_shown(page) -> list[list]:
    """(id, outcome class, title) of every badge on the page, in order."""
    return page.locator("#update-badges .badge").evaluate_all(
        "els => els.map(e => [Number(e.dataset.jobId), e.className, e.querySelector('.title').textContent])")


def badges_decided(runtime) -> list[list]:
    return [[u.job_id, f"badge {u.outcome}", f"Update on call to {u.contact_name} available"]
            for u in runtime.state.updates()]


def test_the_page_shows_exactly_the_badges_the_server_decides(page, runtime, mirror):
    def same(what: str) -> None:
        wait_for(lambda: badges_shown(page) == badges_decided(runtime), timeout=10, what=what)

    def finish(name: str, status: str, **fields) -> Job:
        job = runtime.jobs.create_job("+12025550101", name, "Ask about the invoice", max_retries=3)
        return runtime.jobs.update_job(job.id, overall_status=status, **fields)

    done = finish("Akhil", "COMPLETED_SUCCESS", final_summary_for_main_agent="Paid.")
    declined = finish("Priya", "DECLINED", final_summary_for_main_agent="Asked not to be called.")
    finish("Marco", "CANCELLED", cancel_requested=True)  # someone asked: no badge
    failed = finish("Dana", "FAILED_MAX_RETRIES")
    res = requests.post(mirror.url + "/api/notify_call_update_available", headers={"Authorization": f"Bearer {TOKEN}"},
                        json={"contact_name": "Vendor", "status_summary": "Shipped."}, timeout=5)
    outside = res.json()["job_id"]
    same("only the outside update while the assistant is away")
    assert [b[0] for b in badges_shown(page)] == [outside]
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    same("every untold outcome once connected")
    assert {b[0]: b[1] for b in badges_shown(page)} == {
        outside: "badge outside", done.id: "badge success", declined.id: "badge failure",
        failed.id: "badge failure"}
    shot(page, "badges-server-decided")
    runtime.actions.dismiss_update(declined.id)  # from the console
    same("after a dismiss from the console")
    runtime.jobs.mark_informed([done.id])  # the assistant told it
    same("after the assistant told one")
    runtime.actions.dismiss_update(outside)
    same("after the outside update was dismissed from the console")
    assert [b[0] for b in badges_shown(page)] == [failed.id]
    runtime.bus.publish(ConnectionStatus(status="disconnected", message=""))
    same("none for jobs while the assistant is away")
    assert badges_shown(page) == []
    # a page opened now starts from the snapshot: the same list
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    same("back once reconnected")
    page.reload()
    page.wait_for_selector("body[data-mirror=live]")
    same("after a reload")
    assert page.console_errors == []


def test_xss_payload_is_inert_everywhere(page, runtime):
    runtime.bus.publish(ConnectionStatus(status="connected", message=XSS))
    job = finished_job(runtime, XSS, XSS)
    runtime.bus.publish(TranscriptTurn(role="user", text=f"call {XSS}", session_id="s1", turn_id=1))
    runtime.bus.publish(Notice(level="info", text=XSS))
    runtime.bus.publish(Display(kind="markdown", title=XSS, content=f"# {XSS}\n- **{XSS}**\n[{XSS}](javascript:alert(1))"))
    page.locator(f".badge[data-job-id='{job.id}']").wait_for(state="visible")
    page.locator("#display .display-title").wait_for()
    assert page.locator(f"#jobs tr[data-job-id='{job.id}']").inner_text().count(XSS) >= 1
    assert f"Update on call to {XSS} available" in page.locator(".badge").inner_text()
    assert XSS in page.locator("#transcript").inner_text()
    assert XSS in page.locator("#display").inner_text()
    assert page.locator("#display a").count() == 0, "a javascript: link is left as text"
    runtime.bus.publish(Display(kind="table", title="t", content={"columns": [XSS], "rows": [[XSS]]}))
    page.locator("#display td").wait_for()
    assert page.locator("#display td").inner_text() == XSS
    runtime.bus.publish(Display(kind="series", title="s", content={"labels": [XSS], "values": [3]}))
    page.locator("#display svg rect").wait_for()
    assert page.locator("img").count() == 0
    assert page.dialogs == []
    assert page.console_errors == []
    shot(page, "xss-inert")


def test_display_pane_renders_markdown_tables_and_charts(page, runtime):
    md = "## Calls today\n\nTwo **done**, one *waiting*. See [docs](https://example.com).\n\n1. Akhil\n2. Priya\n\n```\ncode <b>\n```"
    runtime.bus.publish(Display(kind="markdown", title="Summary", content=md))
    page.locator("#display ol li").nth(1).wait_for()
    assert page.locator("#display strong").inner_text() == "done"
    assert page.locator("#display em").inner_text() == "waiting"
    assert page.locator("#display a").get_attribute("href") == "https://example.com/"
    assert page.locator("#display pre code").inner_text() == "code <b>"
    shot(page, "display-markdown")
    runtime.bus.publish(Display(kind="table", title="Jobs", content={"columns": ["name", "status"],
                                                                   "rows": [["Akhil", "done"], ["Priya", "retry"]]}))
    page.locator("#display tbody tr").nth(1).wait_for()
    assert page.locator("#display th").all_inner_texts() == ["name", "status"]
    shot(page, "display-table")
    runtime.bus.publish(Display(kind="series", title="Calls per day", content={"labels": ["Mon", "Tue", "Wed"],
                                                                               "values": [3, 5, 1]}))
    page.locator("#display svg rect.bar").nth(2).wait_for()
    assert page.locator("#display svg rect.bar").count() == 3
    shot(page, "display-chart")
    runtime.bus.publish(Display(kind="markdown", title="ids", content="job_id and next_retry_at stay whole, _this_ is em"))
    page.locator("#display .display-title", has_text="ids").wait_for()
    assert page.locator("#display em").all_inner_texts() == ["this"]
    assert page.console_errors == [], "no CSP violations or failed loads"


def test_simulation_label_transcript_and_jobs(page, runtime):
    assert page.locator("#sim-label").is_visible()
    runtime.bus.publish(TranscriptTurn(role="user", text="Call Akhil please", session_id="s1", turn_id=10))
    runtime.bus.publish(TranscriptDelta(session_id="s1", item_id="i1", delta="Calling Ak"))
    page.locator(".turn.partial").wait_for()
    runtime.bus.publish(TranscriptTurn(role="assistant", text="Calling Akhil now.", session_id="s1", turn_id=11,
                                       item_id="i1"))
    page.locator(".turn.partial").wait_for(state="detached")
    assert page.locator(".turn .text").all_inner_texts() == ["Call Akhil please", "Calling Akhil now."]
    job = runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the invoice", max_retries=3)
    row = page.locator(f"#jobs tr[data-job-id='{job.id}']")
    row.wait_for()
    assert "PENDING" in row.inner_text()
    runtime.jobs.update_job(job.id, overall_status="PROCESSING")
    row.filter(has_text="PROCESSING").wait_for()  # (wait_for_function would need 'unsafe-eval' under our CSP)
    runtime.bus.publish(Mode(mode="live"))
    page.locator("#sim-label").wait_for(state="hidden")
    shot(page, "live-mode")


def test_page_reconnects_after_the_mirror_restarts(page, runtime, mirror):
    port = mirror.port
    mirror.stop()
    page.wait_for_selector("body[data-mirror=reconnecting]")
    status = page.locator("#mirror-status")
    assert status.is_visible() and "reconnecting" in status.inner_text()
    assert not page.locator("#connection-banner").evaluate("e => e.textContent.includes('Mirror')")
    shot(page, "mirror-reconnecting")
    # while the mirror is down, things happen: the reconnected page must be right at once
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    job = finished_job(runtime, "Dana", "Contract signed.")
    again = MirrorServer(runtime, host="127.0.0.1", port=port, token=TOKEN).start()
    try:
        page.wait_for_selector("body[data-mirror=live]", timeout=30_000)
        assert not status.is_visible()
        page.locator(f".badge[data-job-id='{job.id}']").wait_for()
        page.locator("#connection-banner").wait_for(state="hidden")
        assert "Dana" in page.locator("#jobs").inner_text()
        shot(page, "mirror-reconnected")
        runtime.bus.publish(CallUpdateDismissed(job_id=job.id))
        page.locator(f".badge[data-job-id='{job.id}']").wait_for(state="detached")
    finally:
        again.stop()


def test_a_page_without_the_token_says_how_to_sign_in(browser, mirror):
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.goto(mirror.url + "/")
        pg.wait_for_selector("body[data-mirror=unauthorized]", timeout=TIMEOUT_MS)
        assert "open the link" in pg.locator("#mirror-status").inner_text()
    finally:
        context.close()
