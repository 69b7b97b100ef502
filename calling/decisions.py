"""From what happened on a call to the job's next state: the strategist's
plan for a conversation, fixed rules for a leg that never became one
(busy, no answer, voicemail, failed), max_retries enforced either way."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from calling.refusal import asked_not_to_call
from calling.follow import BUSY, CANCELLED, FAILED, HUNG_UP, NO_ANSWER, VOICEMAIL, CallResult
from calling.strategist import GIVE_UP, RETRY, SUCCESS, ActionPlan
from core.clock import iso
from core.records import Job, JobStatus
from store.do_not_call import Listing
from store.rows import Columns

# minutes before calling again after a leg that never became a conversation
LEG_RETRY_MIN = {BUSY: 10.0, NO_ANSWER: 20.0, VOICEMAIL: 60.0, FAILED: 15.0, HUNG_UP: 15.0}
DECLINED = "DECLINED"
LEG_WORDS = {BUSY: "the line was busy", NO_ANSWER: "nobody answered", VOICEMAIL: "the call reached voicemail",
             FAILED: "the call could not be connected", HUNG_UP: "the operator hung up before it was answered"}


@dataclass(frozen=True)
class Outcome:
    job_fields: Columns
    attempt_fields: Columns
    finished: bool
    do_not_call: Listing | None = field(default=None)  # list the number


def cost_usd(duration_s: float | None, per_minute_usd: float) -> float:
    return round(max(0.0, duration_s or 0.0) / 60.0 * per_minute_usd, 6)


def job_cost(job: Job, call_cost: float) -> dict[str, float]:
    """The job's running cost with this call's added, as the job field to write."""
    return {"cost_estimate_usd": round((job.cost_estimate_usd or 0.0) + call_cost, 6)}


def _next_state(job: Job, wants_retry: bool, delay_min: float, now: datetime,
                give_up_summary: str) -> tuple[Columns, bool]:
    if wants_retry and job.retries_attempted < job.max_retries:
        return {"overall_status": JobStatus.RETRY_SCHEDULED.value, "retries_attempted": job.retries_attempted + 1,
                "next_retry_at": iso(now + timedelta(minutes=max(0.0, delay_min)))}, False
    return {"overall_status": JobStatus.FAILED_MAX_RETRIES.value, "next_retry_at": None,
            "final_summary_for_main_agent": give_up_summary}, True


def from_plan(job: Job, plan: ActionPlan, source: str, result: CallResult, now: datetime,
              call_cost: float) -> Outcome:
    attempt = {"attempt_outcome": plan.action, "strategist_reasoning_for_attempt": plan.reasoning,
               "summary": plan.summary_for_user, "decision_source": source}
    cost = job_cost(job, call_cost)
    said = asked_not_to_call(result.transcript)
    if plan.callee_asked_not_to_call_again or said:
        who = f"the strategist ({source})" if plan.callee_asked_not_to_call_again else "the refusal rule"
        words = f': "{said[:200]}"' if said else ""
        listing = Listing(f"{job.contact_name} asked not to be called again{words}", added_by=who)
        listed = (f"{job.contact_name} asked not to be called again, so {job.phone_number} is now on "
                  f"the do-not-call list and will not be called{words or '.'}")
        if plan.action == SUCCESS:  # done, and never again: the success stands
            return Outcome({"overall_status": JobStatus.COMPLETED_SUCCESS.value, "next_retry_at": None,
                            "final_summary_for_main_agent": f"{plan.summary_for_user.rstrip()} {listed}",
                            "last_error": None, **cost}, attempt, True, do_not_call=listing)
        return Outcome({"overall_status": JobStatus.DECLINED.value, "next_retry_at": None,
                        "final_summary_for_main_agent": listed, "last_error": None, **cost},
                       dict(attempt, attempt_outcome=DECLINED, summary=plan.summary_for_user), True,
                       do_not_call=listing)
    if plan.action == SUCCESS:
        return Outcome({"overall_status": JobStatus.COMPLETED_SUCCESS.value, "next_retry_at": None,
                        "final_summary_for_main_agent": plan.summary_for_user, "last_error": None, **cost},
                       attempt, True)
    if plan.action == GIVE_UP:
        return Outcome({"overall_status": JobStatus.FAILED_MAX_RETRIES.value, "next_retry_at": None,
                        "final_summary_for_main_agent": plan.summary_for_user, "last_error": None, **cost},
                       attempt, True)
    assert plan.action == RETRY
    tries = job.retries_attempted + 1
    fields, finished = _next_state(
        job, True, plan.retry_delay_minutes, now,
        f"Gave up on {job.contact_name} after {tries} call(s): {plan.summary_for_user}")
    if not finished and plan.revised_objective.strip():
        fields["current_call_objective_description"] = plan.revised_objective.strip()
    return Outcome({**fields, "last_error": None, **cost}, attempt, finished)


def from_leg(job: Job, result: CallResult, now: datetime, call_cost: float) -> Outcome:
    """A leg that never became a conversation, recorded as such (no strategist)."""
    words = LEG_WORDS.get(result.kind, "the call did not connect")
    tries = job.retries_attempted + 1
    fields, finished = _next_state(
        job, True, LEG_RETRY_MIN.get(result.kind, 15.0), now,
        f"Could not reach {job.contact_name} after {tries} call(s); last time {words}.")
    attempt = {"attempt_outcome": result.kind, "decision_source": "rule",
               "strategist_reasoning_for_attempt": f"{words}: {'gave up' if finished else 'call again later'}",
               "summary": words[0].upper() + words[1:] + "."}
    return Outcome({**fields, "last_error": None, **job_cost(job, call_cost)}, attempt, finished)


def cancelled(job: Job, call_cost: float = 0.0) -> Outcome:
    reason = job.cancel_reason or "cancelled"
    return Outcome({"overall_status": JobStatus.CANCELLED.value, "next_retry_at": None,
                    "final_summary_for_main_agent": f"Call to {job.contact_name} cancelled: {reason}",
                    **job_cost(job, call_cost)},
                   {"attempt_outcome": CANCELLED, "decision_source": "operator", "summary": reason}, True)


def declined(job: Job, reason: str) -> Outcome:
    """Not dialled: the number is on the do-not-call list."""
    return Outcome({"overall_status": JobStatus.DECLINED.value, "next_retry_at": None, "last_error": reason,
                    "final_summary_for_main_agent": f"Did not call {job.contact_name}: {reason}"},
                   {"attempt_outcome": DECLINED, "error_details": reason, "decision_source": "rule"}, True)


def failed_error(job: Job, reason: str, call_cost: float = 0.0) -> Outcome:
    return Outcome({"overall_status": JobStatus.FAILED_ERROR.value, "next_retry_at": None, "last_error": reason,
                    "final_summary_for_main_agent": f"Could not call {job.contact_name}: {reason}",
                    **job_cost(job, call_cost)},
                   {"attempt_outcome": "ERROR", "error_details": reason, "decision_source": "error"}, True)
