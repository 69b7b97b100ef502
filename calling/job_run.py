"""One claimed job, start to finish: reconcile whatever an earlier engine
left (by the attempt's stored ids), gate, write the attempt, dial, follow,
ask the strategist, and record the decision in one transaction."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import sqlalchemy.exc

from calling.gate import Gate
from calling.context import Context, LeaseLost
from calling.decisions import Outcome, cancelled, cost_usd, declined, failed_error, from_leg, from_plan
from calling.dialer import DIALING, ENDED, Dialer
from calling.errors import CallError, ProviderRefused
from calling.follow import CANCELLED, CONVERSATION, CallResult, Follower
from core.clock import iso
from core.events import NewCallUpdateAvailable
from core.records import Attempt, Job, JobStatus
from core.retry import Stopped, Transient
from store.rows import Columns

log = logging.getLogger("calling")
TRANSIENT_BACKOFF_S = 60.0  # a service down through every retry: look again after this


class JobRun:
    def __init__(self, ctx: Context, gate: Gate) -> None:
        self.ctx = ctx
        self.gate = gate
        self.dialer = Dialer(ctx)
        self.follower = Follower(ctx)
        self._slot: int | None = None  # the call slot this run holds (calling/pacing.py)

    # --- entry point --------------------------------------------------------------

    def run(self, job: Job) -> None:
        try:
            self._run(job)
        except Stopped:
            log.info("job %s: engine stopping; the call is left to be reconciled", job.id)
            self._release(job, 0.0, None)
        except LeaseLost as e:
            log.warning("%s", e)
        except ProviderRefused as e:
            # not the callee's doing and not worth a retry: the job waits, nothing is counted
            pause_s = self.ctx.calling.provider_pause_min * 60.0
            self.ctx.pause(e.service, str(e), pause_s)
            self._release(job, pause_s, str(e))
        except Transient as e:
            # the service's own Retry-After when it gave one, else a short pause
            delay = e.retry_after if e.retry_after is not None else min(TRANSIENT_BACKOFF_S, self.ctx.calling.lease_s)
            log.warning("job %s: %s; trying again in %.1fs", job.id, e, delay)
            self._release(job, delay, str(e))
        except Exception:
            log.exception("job %s: unexpected failure; releasing it for another try", job.id)
            self._release(job, min(TRANSIENT_BACKOFF_S, self.ctx.calling.lease_s),
                          "internal error in the calling engine (see calling_agent.log)")
        finally:
            self._give_back_slot(job)

    def _give_back_slot(self, job: Job) -> None:
        if self._slot is None:
            return
        try:
            self.ctx.pacing.give_back(self._slot, job.id)
        except sqlalchemy.exc.SQLAlchemyError:
            log.exception("job %s: could not give back call slot %d (free again once the lease ends)",
                          job.id, self._slot)
        self._slot = None

    def _release(self, job: Job, delay_s: float, error: str | None) -> None:
        """Keep the job PROCESSING but let any engine reclaim it after ``delay_s``."""
        until = iso(self.ctx.clock.now() + timedelta(seconds=delay_s))
        fields: Columns = {"lease_expires_at": until}
        if error:
            fields["last_error"] = error[:500]
        try:
            self.ctx.jobs.update_job(job.id, expect_owner=self.ctx.engine_id, **fields)
        except sqlalchemy.exc.SQLAlchemyError:
            log.exception("job %s: could not release the lease (it will expire on its own)", job.id)

    # --- the steps ------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        ctx = self.ctx
        history = ctx.jobs.attempts_for_job(job.id)
        undecided = [a for a in history if a.phase != "DECIDED"]
        attempt = undecided[-1] if undecided else None
        if job.cancel_requested:
            if attempt is not None and attempt.ultravox_call_id and attempt.phase != ENDED:
                # a call left running when its engine stopped: hang up, keeping what was said
                result = self.follower.cancel(job.id, attempt)
                attempt = ctx.jobs.update_attempt(
                    attempt.id, phase=ENDED, ended_at=ctx.clock.now_iso(), end_reason=result.end_reason,
                    transcript=result.transcript, twilio_status=result.twilio_status,
                    answered_by=result.answered_by, duration_s=result.duration_s, attempt_outcome=result.kind)
            call_cost = self._call_cost(attempt.duration_s if attempt is not None else None)
            outcome = cancelled(job, call_cost)
            if attempt is not None:
                outcome.attempt_fields["cost_usd"] = call_cost
            self._decide(job, attempt, outcome, None)
            return
        reconciling = attempt is not None
        if attempt is None:
            attempt = self._new_attempt(job, len(history) + 1)
            if attempt is None:
                return
        else:
            log.info("job %s: reconciling attempt %s left in phase %s", job.id, attempt.id, attempt.phase)

        if attempt.phase == ENDED:
            result = _stored_result(attempt)
        else:
            # a call slot for as long as the call may be live (created here, or left by an earlier engine)
            self._slot = ctx.pacing.take_slot(job.id, lambda: ctx.leases.check(job.id))
            try:
                attempt = self.dialer.ensure_dialed(job, attempt, reconciling=reconciling)
            except CallError as e:
                log.error("job %s: %s", job.id, e)
                current = ctx.jobs.open_attempt(job.id) or attempt
                if current.ultravox_call_id:
                    self.follower.hang_up(current.replace(twilio_call_sid=None))
                self._decide(job, current, failed_error(job, str(e)), None)
                return
            if attempt.phase == DIALING and not attempt.twilio_call_sid:
                log.warning("job %s attempt %s: Twilio SID unknown; following through Ultravox while looking it up",
                            job.id, attempt.id)
            result = self.follower.follow(job, attempt)
            attempt = ctx.jobs.update_attempt(
                attempt.id, phase=ENDED, ended_at=ctx.clock.now_iso(), end_reason=result.end_reason,
                transcript=result.transcript, twilio_status=result.twilio_status, answered_by=result.answered_by,
                duration_s=result.duration_s, summary=result.summary, attempt_outcome=result.kind,
                recording_url=result.recording_url)

        job = ctx.jobs.get_job(job.id) or job
        call_cost = self._call_cost(result.duration_s)
        if result.kind == CANCELLED or job.cancel_requested:
            outcome = cancelled(job, call_cost)
        elif result.kind == CONVERSATION:
            earlier = [a for a in history if a.id != attempt.id]
            decision = ctx.strategist.decide(
                objective=attempt.objective or job.current_call_objective_description,
                contact_name=job.contact_name, transcript=result.transcript, earlier=earlier,
                call_facts={"end_reason": result.end_reason, "duration_s": result.duration_s,
                            "attempt_number": attempt.attempt_number},
                stop=ctx.stop)
            outcome = from_plan(job, decision.plan, decision.source, result, ctx.clock.now(), call_cost)
            if decision.error:
                outcome.attempt_fields["error_details"] = decision.error[:2000]
        else:
            outcome = from_leg(job, result, ctx.clock.now(), call_cost)
        outcome.attempt_fields["cost_usd"] = call_cost
        self._decide(job, attempt, outcome, result)

    def _call_cost(self, duration_s: float | None) -> float:
        rates = self.ctx.config.settings
        return cost_usd(duration_s, rates.ultravox.cost_per_minute_usd + rates.twilio.cost_per_minute_usd)

    def _new_attempt(self, job: Job, number: int) -> Attempt | None:
        ctx = self.ctx
        now = ctx.clock.now()
        verdict = self.gate.check(job, now)
        if verdict.kind == "refuse":
            self._decide(job, None, failed_error(job, verdict.reason), None)
            return None
        if verdict.kind == "decline":
            self._decide(job, None, declined(job, verdict.reason), None)
            return None
        if verdict.kind == "defer":
            assert verdict.until is not None
            status = JobStatus.PENDING if job.retries_attempted == 0 else JobStatus.RETRY_SCHEDULED
            log.info("job %s deferred to %s: %s", job.id, iso(verdict.until), verdict.reason)
            ctx.jobs.decide(job.id, None, owner=ctx.engine_id,
                            job_fields={"overall_status": status.value, "next_retry_at": iso(verdict.until),
                                        "last_error": f"deferred: {verdict.reason}"})
            return None
        try:
            return ctx.jobs.start_attempt(job.id, number, job.current_call_objective_description,
                                          ctx.engine_id)
        except sqlalchemy.exc.IntegrityError:
            log.warning("job %s: attempt %d already started by another engine", job.id, number)
            return None

    def _decide(self, job: Job, attempt: Attempt | None, outcome: Outcome,
                result: CallResult | None) -> None:
        ctx = self.ctx
        attempt_fields = dict(outcome.attempt_fields)
        if attempt is not None and result is None and attempt.phase != ENDED:
            attempt_fields.setdefault("ended_at", ctx.clock.now_iso())
        updated = ctx.jobs.decide(job.id, attempt.id if attempt else None, owner=ctx.engine_id,
                                  job_fields=outcome.job_fields,
                                  attempt_fields=attempt_fields if attempt is not None else None,
                                  do_not_call=outcome.do_not_call)
        if updated is None:
            raise LeaseLost(f"job {job.id}: lease lost before the decision was recorded")
        log.info("job %s: %s (%s)", job.id, updated.overall_status,
                 attempt_fields.get("attempt_outcome", "no attempt"))
        if updated.badge_due:  # not a campaign's (told in its summary), nor a cancellation asked for
            ctx.bus.publish(NewCallUpdateAvailable(contact_name=updated.contact_name,
                                                   status_summary=updated.final_summary_for_main_agent or "",
                                                   job_id=updated.id))


def _stored_result(attempt: Attempt) -> CallResult:
    transcript = json.loads(attempt.transcript) if attempt.transcript else []
    return CallResult(kind=attempt.attempt_outcome or CONVERSATION, end_reason=attempt.end_reason or "",
                      twilio_status=attempt.twilio_status or "", answered_by=attempt.answered_by,
                      duration_s=attempt.duration_s, transcript=transcript, summary=attempt.summary or "")
