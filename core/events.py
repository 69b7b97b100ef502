"""The one event bus. Domain code publishes; the console, the mirror and
--headless subscribe and render the same events.

Every event is a frozen dataclass whose JSON form is the contract in
docs/interfaces.md: ``type`` and ``ts`` (ISO 8601 UTC) plus its fields.
Subscribers are called on the publisher's thread and must only hand the
event off (post a message, queue it); a subscriber that raises is logged
and the others still get the event.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from core.clock import Clock, SystemClock
from core.records import Job, Record

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    ts: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {"type": self.type}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            data[f.name] = value.to_dict() if isinstance(value, Record) else value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=str, separators=(",", ":"))


# --- the two events outside producers also post: exact shape ------------

@dataclass(frozen=True, kw_only=True)
class ConnectionStatus(Event):
    type: ClassVar[str] = "connection_status"
    status: str  # "connected" | "disconnected"
    message: str


@dataclass(frozen=True, kw_only=True)
class NewCallUpdateAvailable(Event):
    type: ClassVar[str] = "new_call_update_available"
    contact_name: str
    status_summary: str
    job_id: int | None = None


# --- conversation -------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class TranscriptTurn(Event):
    type: ClassVar[str] = "transcript_turn"
    role: str  # user | assistant | tool_call | tool_result | system
    text: str
    session_id: str
    turn_id: int | None = None
    item_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class TranscriptDelta(Event):
    type: ClassVar[str] = "transcript_delta"
    session_id: str
    item_id: str
    delta: str


@dataclass(frozen=True, kw_only=True)
class ToolCalled(Event):
    type: ClassVar[str] = "tool_called"
    name: str
    arguments: str
    result: str
    call_id: str = ""
    session_id: str = ""


@dataclass(frozen=True, kw_only=True)
class VoiceState(Event):
    """Finer connection detail than ConnectionStatus's connected/disconnected."""
    type: ClassVar[str] = "voice_state"
    state: str  # connecting | connected | primed | reconnecting | auth_failed | config_error | stopped
    detail: str = ""
    attempt: int = 0
    retry_in_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class AudioState(Event):
    type: ClassVar[str] = "audio_state"
    mode: str  # voice | text
    reason: str = ""
    muted: bool = False


@dataclass(frozen=True, kw_only=True)
class Display(Event):
    """show_on_screen: markdown, a table or a series to chart."""
    type: ClassVar[str] = "display"
    kind: str  # markdown | table | series
    title: str = ""
    content: Any = None


# --- calling ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class CallJobUpdated(Event):
    type: ClassVar[str] = "call_job_updated"
    job: Job


@dataclass(frozen=True, kw_only=True)
class CallTranscriptProgress(Event):
    """The transcript of a call so far, while it runs."""
    type: ClassVar[str] = "call_transcript_progress"
    job_id: int
    attempt_id: int
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CallUpdateDismissed(Event):
    type: ClassVar[str] = "call_update_dismissed"
    job_id: int


@dataclass(frozen=True, kw_only=True)
class DoNotCallChanged(Event):
    """A number joined (``listed``) or left the persistent do-not-call list."""
    type: ClassVar[str] = "do_not_call_changed"
    phone_number: str
    listed: bool
    reason: str = ""
    job_id: int | None = None


# --- the app ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class CampaignChanged(Event):
    """A campaign was imported into, paused, resumed, cancelled or finished
    (by this process; its jobs' own changes come as ``call_job_updated``)."""
    type: ClassVar[str] = "campaign_changed"
    campaign: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class CampaignsProgress(Event):
    """Every campaign's progress, newest first, when it changed
    (core/campaign_watch.py): each ``store.campaign_views.CampaignProgress.to_dict()``."""
    type: ClassVar[str] = "campaigns_progress"
    campaigns: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Mode(Event):
    type: ClassVar[str] = "mode"
    mode: str  # live | simulate


@dataclass(frozen=True, kw_only=True)
class WorkerState(Event):
    type: ClassVar[str] = "worker_state"
    name: str
    state: str  # running | stopped | error
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """A line for the operator: mirror link, sim URLs, a refused action."""
    type: ClassVar[str] = "notice"
    level: str  # info | warning | error
    text: str


Subscriber = Callable[[Event], None]


class Bus:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers = self._subscribers + (fn,)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not fn)

        return unsubscribe

    def publish(self, event: Event) -> Event:
        if not event.ts:
            event = dataclasses.replace(event, ts=self._clock.now_iso())
        for fn in self._subscribers:  # a tuple snapshot: no lock held while calling out
            try:
                fn(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", fn, event.type)
        return event
