"""The campaigns worker: a campaign's change (here or a job of it) is read
and published as ``campaigns_progress`` once, within its minimum interval;
nothing is published when nothing changed; stop() ends run()."""
from __future__ import annotations

import threading
import time

from core.campaign_watch import CampaignWatch
from core.clock import FixedClock
from core.events import Bus, CallJobUpdated, CampaignsProgress
from store import JobStore
from tests.campaign_fixtures import make_campaign, set_statuses
from tests.helpers import Recorder


def wait_until(cond, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.01)


def test_changes_are_read_and_published_once(sqlite_url):
    clock = FixedClock()
    bus = Bus(clock)
    jobs = JobStore(sqlite_url, clock=clock, bus=bus)
    jobs.init_db()
    seen = Recorder()
    bus.subscribe(seen)
    watch = CampaignWatch(jobs, bus, min_interval_s=0.05, poll_s=0.2)
    thread = threading.Thread(target=watch.run)
    thread.start()
    try:
        progress = lambda: seen.of(CampaignsProgress.type)  # noqa: E731
        campaign = make_campaign(jobs, n=5, statuses=["COMPLETED_SUCCESS"])
        wait_until(lambda: progress() and progress()[-1].campaigns)
        last = progress()[-1].campaigns[0]
        assert last["campaign"]["name"] == "December invoices" and last["total"] == 5
        assert watch.latest == progress()[-1].campaigns

        set_statuses(jobs, campaign.id, ["COMPLETED_SUCCESS", "DECLINED"])  # as another process would
        job = jobs.campaign_jobs(campaign.id, limit=1)[0]
        bus.publish(CallJobUpdated(job=job))  # the feed hands its row over
        wait_until(lambda: progress()[-1].campaigns[0]["counts"].get("DECLINED") == 1)

        before = len(progress())
        time.sleep(0.6)  # polls (the campaign is active) but nothing changed: nothing published
        assert len(progress()) == before
    finally:
        watch.stop()
        thread.join(5)
        jobs.close()
    assert not thread.is_alive()
