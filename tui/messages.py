"""Typed Textual messages the console posts to itself: each domain event,
handed from the publisher's thread to the UI thread (``post_message`` is
thread-safe), arrives as the message for what it changes."""
from __future__ import annotations

from typing import Any

from textual.message import Message

from core import events as ev
from core.records import Job


class DomainMessage(Message):
    def __init__(self, event: ev.Event) -> None:
        super().__init__()
        self.event = event


class JobChanged(DomainMessage):
    """A job row was written (CallJobUpdated)."""

    @property
    def job(self) -> Job:
        return self.event.job  # type: ignore[attr-defined, no-any-return]


class CallProgress(DomainMessage):
    """More of a running call's transcript (CallTranscriptProgress)."""

    @property
    def progress(self) -> ev.CallTranscriptProgress:
        assert isinstance(self.event, ev.CallTranscriptProgress)
        return self.event


class ConversationChanged(DomainMessage):
    """A turn, a streamed piece of one, or a tool call."""


class AssistantStateChanged(DomainMessage):
    """Connection, voice or audio state."""


class UpdatesChanged(DomainMessage):
    """An outside update arrived or a badge was dismissed."""


class DisplayShown(DomainMessage):
    """The assistant put something on screen."""


class NoticePosted(DomainMessage):
    """A line for the operator."""


class ModeChanged(DomainMessage):
    """Live or simulation."""


class DoNotCallChanged(DomainMessage):
    """A number was put on or lifted from the do-not-call list."""


class CampaignsChanged(DomainMessage):
    """A campaign was changed here (CampaignChanged), or every campaign's
    progress was read again (CampaignsProgress)."""


class DomainWorkerChanged(DomainMessage):
    """A domain worker started, stopped or died."""


MESSAGE_FOR: dict[type[ev.Event], type[DomainMessage]] = {
    ev.CallJobUpdated: JobChanged,
    ev.CallTranscriptProgress: CallProgress,
    ev.TranscriptTurn: ConversationChanged,
    ev.TranscriptDelta: ConversationChanged,
    ev.ToolCalled: ConversationChanged,
    ev.ConnectionStatus: AssistantStateChanged,
    ev.VoiceState: AssistantStateChanged,
    ev.AudioState: AssistantStateChanged,
    ev.NewCallUpdateAvailable: UpdatesChanged,
    ev.CallUpdateDismissed: UpdatesChanged,
    ev.Display: DisplayShown,
    ev.Notice: NoticePosted,
    ev.Mode: ModeChanged,
    ev.WorkerState: DomainWorkerChanged,
    ev.DoNotCallChanged: DoNotCallChanged,
    ev.CampaignChanged: CampaignsChanged,
    ev.CampaignsProgress: CampaignsChanged,
}


def message_for(event: ev.Event) -> DomainMessage | None:
    kind = MESSAGE_FOR.get(type(event))
    return kind(event) if kind is not None else None
