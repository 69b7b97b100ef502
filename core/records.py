"""The domain's records: a call job, one attempt at it, a conversation turn,
the rolling summary, a do-not-call entry. Rows become records at the
store's edge (``from_row``); everything past it reads attributes, never
string keys. ``to_dict`` is the JSON form (events, the mirror, exports).

Columns a newer schema adds are ignored by an older record, so engines of
two versions can share one database while it is being upgraded."""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Mapping, Self


class JobStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    COMPLETED_SUCCESS = "COMPLETED_SUCCESS"
    FAILED_MAX_RETRIES = "FAILED_MAX_RETRIES"
    FAILED_ERROR = "FAILED_ERROR"
    CANCELLED = "CANCELLED"
    DECLINED = "DECLINED"  # the callee asked not to be called again, or the number is on the do-not-call list
    EXPIRED = "EXPIRED"  # a campaign's job not called before the campaign's deadline


FINISHED = frozenset({JobStatus.COMPLETED_SUCCESS, JobStatus.FAILED_MAX_RETRIES, JobStatus.FAILED_ERROR,
                      JobStatus.CANCELLED, JobStatus.DECLINED, JobStatus.EXPIRED})
ACTIVE = frozenset({JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.RETRY_SCHEDULED})


class Phase(StrEnum):
    """Where an attempt is; each step is written before the next one starts,
    so a crash at any point can be reconciled (calling/job_run.py)."""
    CREATED = "CREATED"  # the row exists; nothing asked of any service yet
    UV_CREATED = "ULTRAVOX_CREATED"  # the Ultravox call exists (join_url kept); not dialled
    DIALING = "DIALING"  # the Twilio call is being created
    DIALED = "DIALED"  # Twilio has the call (twilio_call_sid kept)
    ENDED = "ENDED"  # the call is over; its transcript and end reason are kept
    DECIDED = "DECIDED"  # the strategist's plan for the job is applied


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    SYSTEM = "system"


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    """A record's columns, worked out once per class (from_row runs for every row read)."""
    return frozenset(f.name for f in dataclasses.fields(cls))


class Record:
    """Shared by the records: built from a database row, shown as JSON."""
    __slots__ = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        names = _field_names(cls)
        return cls(**{k: v for k, v in row.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True, kw_only=True, slots=True)
class Job(Record):
    """A row of ``scheduled_calls``: one call the operator asked for, with
    its retries."""
    id: int
    phone_number: str
    contact_name: str
    initial_call_objective_description: str
    current_call_objective_description: str
    overall_status: JobStatus
    max_retries: int
    created_at: str
    updated_at: str
    retries_attempted: int = 0
    next_retry_at: str | None = None
    final_summary_for_main_agent: str | None = None
    main_agent_informed_user: bool = False
    timezone: str | None = None
    lease_owner: str | None = None
    lease_expires_at: str | None = None
    cancel_requested: bool = False
    cancel_reason: str | None = None
    hangup_requested: bool = False  # the operator asked to end the live call; the job goes on
    request_key: str | None = None  # the call request that created it (held requests land once)
    update_dismissed: bool = False
    informed_at: str | None = None
    last_error: str | None = None
    cost_estimate_usd: float = 0.0
    teller: str | None = None
    teller_until: str | None = None
    campaign_id: int | None = None  # a job of a campaign (store/campaigns.py), None for a single call

    def __post_init__(self) -> None:
        # SQLite hands booleans back as 0/1 and statuses as plain text
        set_ = object.__setattr__
        set_(self, "overall_status", JobStatus(self.overall_status))
        for flag in ("main_agent_informed_user", "cancel_requested", "update_dismissed", "hangup_requested"):
            set_(self, flag, bool(getattr(self, flag)))
        set_(self, "cost_estimate_usd", float(self.cost_estimate_usd or 0.0))

    @property
    def finished(self) -> bool:
        return self.overall_status in FINISHED

    @property
    def untold_update(self) -> bool:
        """A finished outcome the assistant has still to say. A campaign's own
        jobs are told through the campaign's one summary job, never one by one."""
        return self.finished and not self.main_agent_informed_user and self.campaign_id is None

    @property
    def badge_due(self) -> bool:
        """The outcome shows as a badge (while the assistant is connected) and
        is announced: untold, not dismissed, and not a cancellation somebody
        asked for (they know that outcome already)."""
        return (self.untold_update and not self.update_dismissed
                and not (self.overall_status == JobStatus.CANCELLED and self.cancel_requested))


@dataclass(frozen=True, kw_only=True, slots=True)
class Attempt(Record):
    """A row of ``call_attempts``: one dial of a job, as far as it got."""
    id: int
    job_id: int
    attempt_number: int
    started_at: str
    phase: Phase = Phase.CREATED
    ended_at: str | None = None
    ultravox_call_id: str | None = None
    twilio_call_sid: str | None = None
    end_reason: str | None = None
    transcript: str | None = None
    attempt_outcome: str | None = None
    strategist_reasoning_for_attempt: str | None = None
    error_details: str | None = None
    objective: str | None = None
    twilio_status: str | None = None
    answered_by: str | None = None
    duration_s: float | None = None
    summary: str | None = None
    decision_source: str | None = None
    engine_id: str | None = None
    join_url: str | None = None
    cost_usd: float | None = None
    recording_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase", Phase(self.phase))


@dataclass(frozen=True, kw_only=True, slots=True)
class Turn(Record):
    """A row of ``conversation_turns``: one thing said or done in the
    operator's conversation with the assistant."""
    turn_id: int
    session_id: str
    timestamp: str
    role: Role
    content: str
    item_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary(Record):
    """A row of ``conversation_summaries``: the rolling summary up to a turn."""
    id: int
    created_at: str
    upto_turn_id: int
    summary: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DoNotCallEntry(Record):
    """A row of ``do_not_call``, or a number the config lists (no id, no date)."""
    phone_number: str
    reason: str
    added_by: str
    id: int | None = None
    added_at: str | None = None
    job_id: int | None = None
