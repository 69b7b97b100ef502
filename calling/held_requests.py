"""Call requests the assistant took while the calls database could not
write for a cause that passes (a full disk, a lock, no file handle left):
held in memory and written again every few seconds until the write goes
through, then said in a notice. Each request lands once: its key is unique
on the job row, so a write that did commit before its error was reported is
found by the key, never repeated. A cause that does not pass (read-only,
corrupt) is not held; neither is a request the checks now refuse (the number
was listed meanwhile): the operator is told why it was dropped. Held only
while this process runs: a quit before space returns loses it, with a log
line and a notice at stop."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from calling.scheduling import schedule_job
from core.config import Settings
from core.events import Bus, Notice
from core.records import Job
from store import errors
from store.jobs import JobStore

log = logging.getLogger("calling")
RETRY_EVERY_S = 2.0


@dataclass(frozen=True)
class HeldRequest:
    key: str
    contact_name: str | None
    phone_number: str | None
    objective: str | None

    @property
    def who(self) -> str:
        return self.contact_name or self.phone_number or "?"


class HeldRequests:
    name = "held-requests"

    def __init__(self, jobs: JobStore, settings: Settings, bus: Bus, every_s: float = RETRY_EVERY_S) -> None:
        self.jobs, self.settings, self.bus, self.every_s = jobs, settings, bus, every_s
        self._held: list[HeldRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def hold(self, request: HeldRequest, cause: str) -> None:
        with self._lock:
            self._held.append(request)
        log.error("call request %s (to %s) held: %s", request.key, request.who, cause)
        self.bus.publish(Notice(level="error", text=(
            f"The call to {request.who} was not saved yet: {cause}. The request is held and saved once the "
            "database can write again.")))

    def held(self) -> list[HeldRequest]:
        with self._lock:
            return list(self._held)

    def run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.retry()
        left = self.held()
        if left:
            names = ", ".join(r.who for r in left)
            log.error("stopping with %d call request(s) never saved: %s", len(left), names)
            self.bus.publish(Notice(level="error", text=f"Call requests never saved (the database could not "
                                                        f"write): {names}. Ask for them again."))

    def stop(self) -> None:
        self._stop.set()

    def retry(self) -> None:
        """Write each held request again, in the order they came, until one still fails."""
        for request in self.held():
            try:
                job = self.jobs.job_for_request(request.key) or schedule_job(
                    self.jobs, self.settings, contact_name=request.contact_name,
                    phone_number=request.phone_number, objective=request.objective,
                    request_key=request.key).job
            except errors.FAILURES as e:
                if errors.passes(e):
                    return  # still failing: the rest would too
                self._drop(request, f"could not be saved: {errors.describe(e)}")
            except ValueError as e:  # the checks refuse it now
                self._drop(request, f"was not scheduled: {e}")
            else:
                self._landed(request, job)

    def _drop(self, request: HeldRequest, why: str) -> None:
        self._forget(request)
        log.error("held call request %s (to %s) dropped: %s", request.key, request.who, why)
        self.bus.publish(Notice(level="error", text=f"The held call request to {request.who} {why}"))

    def _landed(self, request: HeldRequest, job: Job) -> None:
        self._forget(request)
        log.info("held call request %s saved as job %s", request.key, job.id)
        self.bus.publish(Notice(level="info", text=(
            f"Saved now that the database can write: job {job.id}, the call to {job.contact_name} "
            "the assistant was asked for.")))

    def _forget(self, request: HeldRequest) -> None:
        with self._lock:
            self._held = [r for r in self._held if r.key != request.key]
