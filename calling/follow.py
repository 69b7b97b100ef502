"""Following a placed call until it ends: the Twilio leg tells busy,
no-answer, failed and voicemail apart from a conversation; the Ultravox call
says when the conversation ended and holds its transcript. While the call
runs (the engine's keeper renewing the lease) the transcript so far is
published; a cancel request hangs up both legs and ends the job, an
operator's hang-up request hangs them up and the job goes on."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calling.context import Context
from calling.errors import CallError
from calling.leg_lookup import LOOK_EVERY_S, learn_sid, sid_unknown
from calling.ultravox_client import CallMessage, UltravoxCall
from core.events import CallTranscriptProgress
from core.records import Attempt, Job
from core.retry import Stopped, Transient

log = logging.getLogger("calling")

# outcomes of a leg that never became a conversation
BUSY, NO_ANSWER, VOICEMAIL, FAILED, CANCELLED = "BUSY", "NO_ANSWER", "VOICEMAIL", "FAILED", "CANCELLED"
HUNG_UP = "HUNG_UP"  # the operator hung up before anyone answered
CONVERSATION = "CONVERSATION"
OPERATOR_HUNG_UP = "hung up by the operator"  # the end reason of a call the operator ended
_LEG_OUTCOME = {"busy": BUSY, "no-answer": NO_ANSWER, "failed": FAILED, "canceled": FAILED}
GRACE_POLLS = 20  # polls we wait for Ultravox to notice a finished Twilio leg
SIDE_READS_EVERY_S = 0.25
SETTLE_READS = 20  # reads of a hung-up leg until Twilio reports its final status


@dataclass
class CallResult:
    kind: str  # CONVERSATION or a leg outcome
    end_reason: str = ""
    twilio_status: str = ""
    answered_by: str | None = None
    duration_s: float | None = None
    transcript: list[CallMessage] = field(default_factory=list)
    summary: str = ""
    recording_url: str | None = None


def _seconds_between(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    try:
        start = datetime.fromisoformat(a.replace("Z", "+00:00"))
        end = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (end - start).total_seconds())


def _turns(messages: list[CallMessage]) -> list[CallMessage]:
    return [{"role": m.get("role", ""), "text": m.get("text") or ""} for m in messages if isinstance(m, dict)]


class Follower:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def hang_up(self, attempt: Attempt) -> None:
        """Hang up both legs, best effort (each under the retry policy)."""
        ctx = self.ctx
        sid, call_id = attempt.twilio_call_sid, attempt.ultravox_call_id
        if sid:
            try:
                ctx.retrying("hanging up the Twilio leg", lambda: ctx.twilio.hang_up(sid))
            except (Transient, CallError) as e:
                log.warning("job %s: could not hang up Twilio call %s: %s", attempt.job_id, sid, e)
        if call_id:
            try:
                ctx.retrying("ending the Ultravox call", lambda: ctx.ultravox.hang_up(call_id))
            except (Transient, CallError) as e:
                log.warning("job %s: could not end Ultravox call %s: %s", attempt.job_id, call_id, e)

    def follow(self, job: Job, attempt: Attempt) -> CallResult:
        ctx = self.ctx
        job_id, sid, call_id = job.id, attempt.twilio_call_sid, attempt.ultravox_call_id
        interval = ctx.calling.poll_interval_s
        shown = -1
        # the job row (for a cancel) and the transcript so far are read at most this often
        every = max(interval, SIDE_READS_EVERY_S)
        last_side_read = last_look = -max(every, LOOK_EVERY_S)
        grace = 0
        while True:
            if ctx.stop.is_set():
                raise Stopped()
            ctx.leases.check(job_id)  # the engine's keeper renews it
            side_reads = ctx.clock.monotonic() - last_side_read >= every
            if side_reads:
                last_side_read = ctx.clock.monotonic()
                current = ctx.jobs.get_job(job_id)
                if current is not None and current.cancel_requested:
                    log.info("job %s: cancel requested during the call; hanging up", job_id)
                    return self.cancel(job_id, attempt.replace(twilio_call_sid=sid))
                if current is not None and current.hangup_requested:
                    log.info("job %s: the operator hung up the call; the job goes on", job_id)
                    return self.operator_hang_up(job_id, attempt.replace(twilio_call_sid=sid))
            if sid_unknown(attempt) and ctx.clock.monotonic() - last_look >= LOOK_EVERY_S:
                last_look = ctx.clock.monotonic()
                attempt = learn_sid(ctx, job, attempt)
                sid = attempt.twilio_call_sid

            leg = self._fetch_leg(job_id, sid) if sid else None
            if sid and leg is None:
                sid = None  # Twilio no longer knows it: follow through Ultravox alone
            if leg is not None:
                answered_by = (leg.answered_by or "").lower()
                if answered_by.startswith("machine") or answered_by == "fax":
                    self.hang_up(attempt)
                    leg = self._settled_leg(job_id, leg)
                    return CallResult(VOICEMAIL, end_reason=f"answered by {answered_by}", twilio_status=leg.status,
                                      answered_by=leg.answered_by, duration_s=leg.duration_s)
                if leg.final and leg.status != "completed":
                    self._end_ultravox(job_id, call_id)
                    return CallResult(_LEG_OUTCOME.get(leg.status, FAILED), end_reason=leg.status,
                                      twilio_status=leg.status, answered_by=leg.answered_by,
                                      duration_s=leg.duration_s)

            call = self._get_call(call_id)
            if side_reads and call.get("joined") and not call.get("ended"):
                messages = self._messages(call_id)
                if len(messages) != shown:
                    shown = len(messages)
                    ctx.bus.publish(CallTranscriptProgress(job_id=job_id, attempt_id=attempt.id,
                                                           messages=_turns(messages)))
            leg_over = leg is not None and leg.final
            if call.get("ended") or (leg_over and grace >= GRACE_POLLS):
                if sid_unknown(attempt):  # a last look, so the call's SID is on record
                    attempt = learn_sid(ctx, job, attempt)
                    leg = self._fetch_leg(job_id, attempt.twilio_call_sid) if attempt.twilio_call_sid else None
                return self._finish(job_id, attempt, call, leg)
            if leg_over:
                grace += 1
            if ctx.clock.sleep(interval, ctx.stop):
                raise Stopped()

    def cancel(self, job_id: int, attempt: Attempt) -> CallResult:
        """Hang up, keeping what was said so far and the leg as it ended."""
        transcript, leg, _ = self._hang_up_now(job_id, attempt)
        if leg is None:
            return CallResult(CANCELLED, end_reason="cancelled", twilio_status="canceled", transcript=transcript)
        return CallResult(CANCELLED, end_reason="cancelled", twilio_status=leg.status, answered_by=leg.answered_by,
                          duration_s=leg.duration_s, transcript=transcript)

    def operator_hang_up(self, job_id: int, attempt: Attempt) -> CallResult:
        """Hang up as a cancel does; what was said so far goes to the strategist
        like any ended conversation, and a call nobody answered yet is HUNG_UP."""
        transcript, leg, call = self._hang_up_now(job_id, attempt)
        talked = bool(call.get("joined")) or bool(transcript)
        duration = leg.duration_s if leg is not None else None
        if duration is None:
            duration = _seconds_between(call.get("joined"), call.get("ended")) if talked else 0.0
        return CallResult(CONVERSATION if talked else HUNG_UP, end_reason=OPERATOR_HUNG_UP,
                          twilio_status=leg.status if leg is not None else "canceled",
                          answered_by=leg.answered_by if leg is not None else None, duration_s=duration,
                          transcript=transcript)

    def _hang_up_now(self, job_id: int, attempt: Attempt) -> tuple[list[CallMessage], Any, UltravoxCall]:
        """End both legs now: what was said so far, the leg as it ended, the Ultravox call after."""
        call_id = attempt.ultravox_call_id
        transcript = _turns(self._messages(call_id)) if call_id else []
        self.hang_up(attempt)
        sid = attempt.twilio_call_sid
        leg = self._settled_leg(job_id, self._fetch_leg(job_id, sid)) if sid else None
        call = self._get_call(call_id) if call_id else {}
        return transcript, leg, call

    def _settled_leg(self, job_id: int, leg: Any) -> Any:
        """The leg as it ended: after a hang-up (ours or the far end's) Twilio
        takes a moment to report the final status and duration."""
        ctx = self.ctx
        for _ in range(SETTLE_READS):
            if leg is None or leg.final:
                return leg
            if ctx.clock.sleep(min(ctx.calling.poll_interval_s, SIDE_READS_EVERY_S), ctx.stop):
                raise Stopped()
            leg = self._fetch_leg(job_id, leg.sid) or leg
        return leg

    def _fetch_leg(self, job_id: int, sid: str) -> Any:
        try:
            return self.ctx.retrying("reading the Twilio call", lambda: self.ctx.twilio.fetch(sid))
        except CallError as e:
            log.warning("job %s: Twilio call %s unreadable (%s); following through Ultravox alone", job_id, sid, e)
            return None

    def _get_call(self, call_id: str) -> UltravoxCall:
        try:
            return self.ctx.retrying("reading the Ultravox call", lambda: self.ctx.ultravox.get_call(call_id))
        except CallError as e:
            # gone (we ended and deleted it before a crash): over, nothing more to read
            log.warning("Ultravox call %s unreadable (%s); taking it as ended", call_id, e)
            return {"ended": "gone", "endReason": "deleted", "joined": None, "gone": True}

    def _messages(self, call_id: str) -> list[CallMessage]:
        try:
            return self.ctx.retrying("reading the transcript", lambda: self.ctx.ultravox.messages(call_id))
        except CallError as e:
            log.warning("transcript of Ultravox call %s unreadable (%s)", call_id, e)
            return []

    def _end_ultravox(self, job_id: int, call_id: str) -> None:
        try:
            self.ctx.retrying("ending the Ultravox call", lambda: self.ctx.ultravox.hang_up(call_id))
        except (Transient, CallError) as e:
            log.warning("job %s: could not end Ultravox call %s: %s", job_id, call_id, e)

    def _finish(self, job_id: int, attempt: Attempt, call: UltravoxCall, leg: Any) -> CallResult:
        ctx = self.ctx
        call_id = attempt.ultravox_call_id
        messages = [] if call.get("gone") else self._messages(call_id)
        if not call.get("ended"):
            self._end_ultravox(job_id, call_id)
        if leg is not None and not leg.final:
            leg = self._fetch_leg(job_id, leg.sid) or leg
        transcript = _turns(messages)
        if leg is not None and not call.get("joined") and not transcript:
            # Ultravox ended unjoined because the leg failed: the leg says how
            if leg.final and leg.status in _LEG_OUTCOME:
                return CallResult(_LEG_OUTCOME[leg.status], end_reason=leg.status, twilio_status=leg.status,
                                  answered_by=leg.answered_by, duration_s=leg.duration_s)
            if not leg.final:  # still ringing but Ultravox gave up waiting: nobody answered in time
                self.hang_up(attempt.replace(ultravox_call_id=None))
                leg = self._settled_leg(job_id, leg)
                return CallResult(NO_ANSWER, end_reason=str(call.get("endReason") or "unjoined"),
                                  twilio_status=leg.status, answered_by=leg.answered_by, duration_s=0.0)
        leg = self._settled_leg(job_id, leg)
        ctx.bus.publish(CallTranscriptProgress(job_id=job_id, attempt_id=attempt.id, messages=transcript))
        duration = leg.duration_s if leg is not None else None
        if duration is None:
            duration = _seconds_between(call.get("joined"), call.get("ended"))
        status = leg.status if leg is not None else ""
        end_reason = call.get("endReason") or status
        joined = bool(call.get("joined")) or bool(transcript)
        return CallResult(CONVERSATION if joined else FAILED, end_reason=str(end_reason or ""),
                          twilio_status=status, answered_by=leg.answered_by if leg is not None else None,
                          duration_s=duration, transcript=transcript,
                          summary=str(call.get("summary") or call.get("shortSummary") or ""),
                          recording_url=ctx.ultravox.recording_url(call_id) if call.get("recordingEnabled") else None)
