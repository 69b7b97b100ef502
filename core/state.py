"""The live picture of the app, built only from events: connection, mode,
jobs, update badges, the recent transcript, the last display. The mirror's
snapshot and /api/state come from here; the console keeps its own widgets
but fills them from the same snapshot.

Badges: a finished job the assistant has not told the user
about (and the operator has not dismissed, and nobody asked to cancel)
shows a badge while the assistant
is connected; a disconnect clears them and a reconnect re-evaluates them.
An outside producer's update (POST without a job id) shows until dismissed.
This is the only place that rule lives: the console draws ``updates()`` and
the mirror sends the same list to the browser.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

from core.events import (
    AudioState, CallJobUpdated, CallUpdateDismissed, ConnectionStatus, Display, Event, Mode,
    NewCallUpdateAvailable, TranscriptTurn, VoiceState,
)
from store.jobs import JobStore, Status, is_untold_update
from store.conversation import ConversationStore

# what every view says before the assistant's first connection, and while
# it is down (the message of the connection_status the assistant publishes then)
CONNECTING = "Connecting to the assistant"
RECONNECTING = "Agent connectivity issues. Attempting to reconnect"
DISCONNECTED = {"status": "disconnected", "message": f"{CONNECTING}..."}
# how each finished status reads on a badge (colour, mark); an outside update is "outside"
OUTCOMES = {
    Status.COMPLETED_SUCCESS: "success",
    Status.FAILED_MAX_RETRIES: "failure",
    Status.FAILED_ERROR: "failure",
    Status.DECLINED: "failure",
    Status.CANCELLED: "cancelled",
    Status.EXPIRED: "cancelled",
}


def _asked_to_cancel(job: dict[str, Any]) -> bool:
    """A job cancelled because someone asked: they know its outcome already."""
    return job["overall_status"] == "CANCELLED" and bool(job.get("cancel_requested"))


def _badged(job: dict[str, Any] | None) -> bool:
    """The job shows a badge (while the assistant is connected)."""
    return (job is not None and is_untold_update(job) and not job.get("update_dismissed")
            and not _asked_to_cancel(job))


class StateView:
    def __init__(
        self,
        jobs: JobStore | None,
        conversation: ConversationStore | None,
        mode: str,
        *,
        transcript_window: int = 200,
        job_window: int = 5000,
    ) -> None:
        self._lock = threading.Lock()
        self._jobs_store = jobs
        self._conversation = conversation
        self._job_window = job_window
        self.mode = mode
        self.connection: dict[str, str] = dict(DISCONNECTED)
        self.voice_state: dict[str, Any] = {"state": "connecting", "detail": ""}
        self.audio: dict[str, Any] = {"mode": "text", "reason": "", "muted": False}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.external_updates: dict[int, dict[str, Any]] = {}
        self._next_external_id = -1
        self.transcript: deque[dict[str, Any]] = deque(maxlen=transcript_window)
        self.display: dict[str, Any] | None = None
        # moves with every change that may change the badges to show (read with updates_since)
        self.badges_version = 0

    def load(self) -> None:
        """Fill the picture from the stores (at start-up, before workers publish)."""
        jobs = self._jobs_store.list_jobs(limit=self._job_window) if self._jobs_store else []
        turns = self._conversation.get_recent_turns(self.transcript.maxlen or 200) if self._conversation else []
        with self._lock:
            self.jobs = {j["id"]: j for j in jobs}
            self.badges_version += 1
            self.transcript.clear()
            for t in turns:
                self.transcript.append(
                    {"role": t["role"], "text": t["content"], "session_id": t["session_id"],
                     "turn_id": t["turn_id"], "ts": t["timestamp"]}
                )

    def __call__(self, event: Event) -> None:
        """Bus subscriber."""
        with self._lock:
            if isinstance(event, ConnectionStatus):
                if (event.status == "connected") != (self.connection["status"] == "connected"):
                    self.badges_version += 1
                self.connection = {"status": event.status, "message": event.message}
            elif isinstance(event, VoiceState):
                self.voice_state = {"state": event.state, "detail": event.detail,
                                    "attempt": event.attempt, "retry_in_s": event.retry_in_s}
            elif isinstance(event, AudioState):
                self.audio = {"mode": event.mode, "reason": event.reason, "muted": event.muted}
            elif isinstance(event, Mode):
                self.mode = event.mode
            elif isinstance(event, CallJobUpdated):
                job_id = event.job.get("id")
                if job_id is not None:
                    if _badged(self.jobs.get(job_id)) or _badged(event.job):
                        self.badges_version += 1
                    self.jobs[job_id] = event.job
                    if len(self.jobs) > self._job_window:
                        self.badges_version += _badged(self.jobs.pop(min(self.jobs)))
            elif isinstance(event, NewCallUpdateAvailable):
                if event.job_id is None or event.job_id not in self.jobs:
                    # an outside producer's update: badge ids below zero never clash with jobs
                    badge_id = event.job_id
                    if badge_id is None:
                        badge_id, self._next_external_id = self._next_external_id, self._next_external_id - 1
                    self.external_updates[badge_id] = {
                        "job_id": badge_id, "contact_name": event.contact_name,
                        "status_summary": event.status_summary, "outcome": "outside",
                    }
                    self.badges_version += 1
            elif isinstance(event, CallUpdateDismissed):
                self.badges_version += 1
                self.external_updates.pop(event.job_id, None)
                job = self.jobs.get(event.job_id)
                if job is not None:
                    self.jobs[event.job_id] = dict(job, update_dismissed=True)
            elif isinstance(event, TranscriptTurn):
                self.transcript.append(
                    {"role": event.role, "text": event.text, "session_id": event.session_id,
                     "turn_id": event.turn_id, "ts": event.ts}
                )
            elif isinstance(event, Display):
                self.display = {"kind": event.kind, "title": event.title, "content": event.content, "ts": event.ts}

    def has_update(self, job_id: int) -> bool:
        """An outside producer's badge with this id is showing."""
        with self._lock:
            return job_id in self.external_updates

    def updates(self) -> list[dict[str, Any]]:
        """The badges to show now, oldest first: every view draws this list as is."""
        with self._lock:
            return self._updates_locked()

    def updates_since(self, version: int) -> tuple[int, list[dict[str, Any]] | None]:
        """(badges_version, the badges to show), the list None when nothing
        could have changed them since ``version``."""
        with self._lock:
            return self.badges_version, (self._updates_locked() if version != self.badges_version else None)

    def _updates_locked(self) -> list[dict[str, Any]]:
        badges = list(self.external_updates.values())
        if self.connection["status"] != "connected":
            return badges
        for job in sorted(self.jobs.values(), key=lambda j: j["updated_at"]):
            if _badged(job):
                badges.append({
                    "job_id": job["id"], "contact_name": job["contact_name"],
                    "status_summary": job.get("final_summary_for_main_agent") or job["overall_status"],
                    "status": job["overall_status"], "outcome": OUTCOMES.get(job["overall_status"], "outside"),
                })
        return badges

    def snapshot(self, *, jobs_limit: int = 500) -> dict[str, Any]:
        with self._lock:
            jobs = sorted(self.jobs.values(), key=lambda j: j["id"], reverse=True)[:jobs_limit]
            return {
                "type": "snapshot",
                "mode": self.mode,
                "connection": dict(self.connection),
                "voice_state": dict(self.voice_state),
                "audio": dict(self.audio),
                "jobs": jobs,
                "updates": self._updates_locked(),
                "transcript": list(self.transcript),
                "display": self.display,
            }
