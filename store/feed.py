"""The change feed: every change any process makes to a call job (or its
attempts, which touch the job's ``updated_at``) reaches this process's bus
as the events its views already show: ``call_job_updated`` (the new row),
``new_call_update_available`` when a job finishes untold and
``call_update_dismissed`` when its badge is dismissed.

PostgreSQL: a trigger sends ``NOTIFY switchboard_calls, '<job id>'`` at
commit; the feed LISTENs, re-reads the rows named and, after every
(re)connect, re-syncs what it may have missed from ``updated_at``.
SQLite: ``PRAGMA data_version`` (a counter another connection's commit
moves) is checked every ``interval_s``; when it moved, rows changed since
the watermark are re-read.

Nothing shows twice: a row this process wrote itself (the store publishes
those) or one already seen is skipped, and a row never goes back to an
older version. A row's version is its ``updated_at``: every change a
view shows moves it (a lease renewal alone does not)."""
from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import datetime, timedelta
from typing import Iterable

import sqlalchemy as sa
import sqlalchemy.exc

from core.clock import iso
from core.events import Bus, CallJobUpdated, CallUpdateDismissed, Event, NewCallUpdateAvailable
from core.records import Job
from core.retry import RetryPolicy
from store.jobs import JobStore
from store.notify import CHANNEL

log = logging.getLogger(__name__)

PAGE = 1000


class ChangeFeed:
    """A domain worker: ``run()`` until ``stop()``."""

    name = "feed"

    def __init__(self, jobs: JobStore, bus: Bus, *, known: Iterable[Job] = (),
                 interval_s: float = 0.1, lookback_s: float = 5.0) -> None:
        self.jobs = jobs
        self.bus = bus
        self.interval_s = interval_s
        self.lookback_s = lookback_s
        self._lock = threading.Lock()
        self._rows: dict[int, Job] = {j.id: j for j in known}
        self._watermark = max((j.updated_at for j in self._rows.values()), default="")
        self._stop = threading.Event()
        self._policy = RetryPolicy(base_s=0.2, cap_s=5.0)
        self.connected = threading.Event()  # set while listening (tests, the bench)

    # --- worker ---------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        unsubscribe = self.bus.subscribe(self._heard)
        try:
            if not self._watermark:
                self._watermark = self._newest()
            if self.jobs.is_postgres:
                self._listen()
            else:
                self._poll()
        finally:
            unsubscribe()

    def _newest(self) -> str:
        with self.jobs.db.engine.connect() as conn:  # type: ignore[union-attr]
            value = conn.execute(sa.text("SELECT MAX(updated_at) FROM scheduled_calls")).scalar()
        return str(value or "")

    # --- what the views are told ------------------------------------------------

    def _heard(self, event: Event) -> None:
        """This process's own published rows are seen rows."""
        if isinstance(event, CallJobUpdated):
            with self._lock:
                prev = self._rows.get(event.job.id)
                if prev is None or prev.updated_at <= event.job.updated_at:
                    self._rows[event.job.id] = event.job

    def offer(self, job: Job) -> None:
        """A row as read from the database: announce it unless already seen."""
        with self._lock:
            if job.updated_at > self._watermark:
                self._watermark = job.updated_at
            prev = self._rows.get(job.id)
            if prev is not None and prev.updated_at >= job.updated_at:
                return  # seen, or older than what the views have
            self._rows[job.id] = job
            if self.jobs.is_own_write(job):
                return  # the store published it (or is about to)
        self.bus.publish(CallJobUpdated(job=job))
        if job.badge_due and (prev is None or not prev.badge_due):
            self.bus.publish(NewCallUpdateAvailable(contact_name=job.contact_name,
                                                    status_summary=job.final_summary_for_main_agent or "",
                                                    job_id=job.id))
        if job.update_dismissed and not (prev is not None and prev.update_dismissed):
            self.bus.publish(CallUpdateDismissed(job_id=job.id))

    def resync(self) -> int:
        """Re-read every row changed since the watermark (less the lookback,
        for a write stamped before, but committed after, a newer one)."""
        with self._lock:
            mark = self._watermark
        since = iso(datetime.fromisoformat(mark.replace("Z", "+00:00")) - timedelta(seconds=self.lookback_s)) \
            if mark else ""
        after_id, count = 0, 0
        while not self._stop.is_set():
            rows = self.jobs.jobs_updated_since(since, PAGE, after_id=after_id)
            for job in rows:
                self.offer(job)
            count += len(rows)
            if len(rows) < PAGE:
                break
            since, after_id = rows[-1].updated_at, rows[-1].id
        return count

    # --- PostgreSQL: LISTEN / NOTIFY ----------------------------------------------

    def _listen(self) -> None:
        import psycopg

        url = self.jobs.db.engine.url.set(drivername="postgresql")  # type: ignore[union-attr]
        dsn = url.render_as_string(hide_password=False)
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.resync()  # listening already: nothing can fall between the two
                    self.connected.set()
                    if failures:
                        log.info("change feed: listening again after %d failed tries", failures)
                    failures = 0
                    while not self._stop.is_set():
                        ids = {int(n.payload) for n in conn.notifies(timeout=0.25, stop_after=1)}
                        if not ids:
                            continue
                        # whatever else has arrived meanwhile: one read for the lot
                        ids.update(int(n.payload) for n in conn.notifies(timeout=0.005))
                        for job in self.jobs.jobs_by_id(ids):
                            self.offer(job)
            except (psycopg.Error, sqlalchemy.exc.SQLAlchemyError, OSError) as e:
                self.connected.clear()
                failures += 1
                wait = self._policy.delay(failures)
                log.warning("change feed: the database connection failed (%s); again in %.1fs",
                            str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__, wait)
                self._stop.wait(wait)
        self.connected.clear()

    # --- SQLite: PRAGMA data_version -----------------------------------------------

    def _poll(self) -> None:
        path = self.jobs.url.split(":///", 1)[-1]
        watcher = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            version = None
            self.connected.set()
            failures = 0
            while not self._stop.wait(self.interval_s):
                try:
                    now = watcher.execute("PRAGMA data_version").fetchone()[0]
                    if now != version:
                        version = now
                        self.resync()
                    failures = 0
                except (sqlite3.Error, sqlalchemy.exc.SQLAlchemyError) as e:
                    failures += 1
                    log.warning("change feed: reading the database failed (%s)", e)
                    self._stop.wait(self._policy.delay(failures))
        finally:
            self.connected.clear()
            watcher.close()

