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
from dataclasses import dataclass
from typing import Any

from core.events import (
    AudioState, CallJobUpdated, CallUpdateDismissed, ConnectionStatus, Display, Event, Mode,
    NewCallUpdateAvailable, TranscriptTurn, VoiceState,
)
from core.records import Job, JobStatus
from store.jobs import JobStore
from store.conversation import ConversationStore

# what every view says before the assistant's first connection, and while
# it is down (the message of the connection_status the assistant publishes then)
CONNECTING = "Connecting to the assistant"
RECONNECTING = "Assistant connectivity issues. Attempting to reconnect"
DISCONNECTED = ConnectionStatus(status="disconnected", message=f"{CONNECTING}...")
# how each finished status reads on a badge (colour, mark); an outside update is "outside"
OUTCOMES = {
    JobStatus.COMPLETED_SUCCESS: "success",
    JobStatus.FAILED_MAX_RETRIES: "failure",
    JobStatus.FAILED_ERROR: "failure",
    JobStatus.DECLINED: "failure",
    JobStatus.CANCELLED: "cancelled",
    JobStatus.EXPIRED: "cancelled",
}


def _fields(event: Event, *names: str) -> dict[str, Any]:
    return {n: getattr(event, n) for n in names}


@dataclass(frozen=True, kw_only=True)
class CallUpdate:
    """An outcome waiting for the operator: a finished job's, or an outside
    producer's (``job_id`` below zero when it named no job)."""
    job_id: int
    contact_name: str
    status_summary: str
    outcome: str  # success | failure | cancelled | outside: how it reads (colour, mark)
    status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """The whole picture at one moment; ``to_dict`` is the mirror's
    ``snapshot`` message (docs/interfaces.md)."""
    mode: str
    connection: ConnectionStatus
    voice_state: VoiceState
    audio: AudioState
    jobs: list[Job]
    updates: list[CallUpdate]
    transcript: list[TranscriptTurn]
    display: Display | None

    def to_dict(self) -> dict[str, Any]:
        d = self.display
        return {
            "type": "snapshot",
            "mode": self.mode,
            "connection": _fields(self.connection, "status", "message"),
            "voice_state": _fields(self.voice_state, "state", "detail", "attempt", "retry_in_s"),
            "audio": _fields(self.audio, "mode", "reason", "muted"),
            "jobs": [j.to_dict() for j in self.jobs],
            "updates": [b.to_dict() for b in self.updates],
            "transcript": [_fields(t, "role", "text", "session_id", "turn_id", "ts") for t in self.transcript],
            "display": None if d is None else _fields(d, "kind", "title", "content", "ts"),
        }


def _badged(job: Job | None) -> bool:
    return job is not None and job.badge_due


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
        self.connection = DISCONNECTED
        self.voice_state = VoiceState(state="connecting")
        self.audio = AudioState(mode="text")
        self.jobs: dict[int, Job] = {}
        self.external_updates: dict[int, CallUpdate] = {}
        self._next_external_id = -1
        self.transcript: deque[TranscriptTurn] = deque(maxlen=transcript_window)
        self.display: Display | None = None
        # moves with every change that may change the badges to show (read with updates_since)
        self.badges_version = 0

    def load(self) -> None:
        """Fill the picture from the stores (at start-up, before workers publish)."""
        jobs = self._jobs_store.list_jobs(limit=self._job_window) if self._jobs_store else []
        turns = self._conversation.get_recent_turns(self.transcript.maxlen or 200) if self._conversation else []
        with self._lock:
            self.jobs = {j.id: j for j in jobs}
            self.badges_version += 1
            self.transcript.clear()
            for t in turns:
                self.transcript.append(TranscriptTurn(role=t.role, text=t.content, session_id=t.session_id,
                                                      turn_id=t.turn_id, ts=t.timestamp))

    def __call__(self, event: Event) -> None:
        """Bus subscriber."""
        with self._lock:
            if isinstance(event, ConnectionStatus):
                if (event.status == "connected") != (self.connection.status == "connected"):
                    self.badges_version += 1
                self.connection = event
            elif isinstance(event, VoiceState):
                self.voice_state = event
            elif isinstance(event, AudioState):
                self.audio = event
            elif isinstance(event, Mode):
                self.mode = event.mode
            elif isinstance(event, CallJobUpdated):
                job_id = event.job.id
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
                    self.external_updates[badge_id] = CallUpdate(
                        job_id=badge_id, contact_name=event.contact_name, status_summary=event.status_summary,
                        outcome="outside")
                    self.badges_version += 1
            elif isinstance(event, CallUpdateDismissed):
                self.badges_version += 1
                self.external_updates.pop(event.job_id, None)
                job = self.jobs.get(event.job_id)
                if job is not None:
                    self.jobs[event.job_id] = job.replace(update_dismissed=True)
            elif isinstance(event, TranscriptTurn):
                self.transcript.append(event)
            elif isinstance(event, Display):
                self.display = event

    def has_update(self, job_id: int) -> bool:
        """An outside producer's badge with this id is showing."""
        with self._lock:
            return job_id in self.external_updates

    def updates(self) -> list[CallUpdate]:
        """The badges to show now, oldest first: every view draws this list as is."""
        with self._lock:
            return self._updates_locked()

    def updates_since(self, version: int) -> tuple[int, list[CallUpdate] | None]:
        """(badges_version, the badges to show), the list None when nothing
        could have changed them since ``version``."""
        with self._lock:
            return self.badges_version, (self._updates_locked() if version != self.badges_version else None)

    def _updates_locked(self) -> list[CallUpdate]:
        badges = list(self.external_updates.values())
        if self.connection.status != "connected":
            return badges
        for job in sorted(self.jobs.values(), key=lambda j: j.updated_at):
            if _badged(job):
                badges.append(CallUpdate(
                    job_id=job.id, contact_name=job.contact_name,
                    status_summary=job.final_summary_for_main_agent or job.overall_status,
                    status=job.overall_status, outcome=OUTCOMES.get(job.overall_status, "outside"),
                ))
        return badges

    def snapshot(self, *, jobs_limit: int = 500) -> Snapshot:
        with self._lock:
            jobs = sorted(self.jobs.values(), key=lambda j: j.id, reverse=True)[:jobs_limit]
            return Snapshot(mode=self.mode, connection=self.connection, voice_state=self.voice_state,
                            audio=self.audio, jobs=jobs, updates=self._updates_locked(),
                            transcript=list(self.transcript), display=self.display)
