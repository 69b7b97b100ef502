"""Placing one attempt: the Ultravox call, then the Twilio leg streaming to
it. Each id is written to the attempt row as soon as it is known, and a
creation that may have gone through (timeout, garbled answer, 5xx, a crash
before the id was saved) is looked up before anything is created again:
Ultravox by our metadata; a Twilio leg that may exist without our knowing
its SID is never dialed again (the call is followed through Ultravox)."""
from __future__ import annotations

import logging
from typing import Any

from calling.context import Context
from calling.twilio_leg import MaybePlaced
from core.events import CallJobUpdated
from core.retry import Transient

log = logging.getLogger("calling")

CREATED, UV_CREATED, DIALING, DIALED, ENDED = "CREATED", "ULTRAVOX_CREATED", "DIALING", "DIALED", "ENDED"


class Dialer:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def ensure_dialed(self, job: dict[str, Any], attempt: dict[str, Any], *, reconciling: bool) -> dict[str, Any]:
        """Bring ``attempt`` to phase DIALED (or beyond); returns the updated row."""
        if not attempt.get("ultravox_call_id"):
            attempt = self._ensure_ultravox(job, attempt, look_first=reconciling)
        if not attempt.get("twilio_call_sid") and attempt.get("phase") != DIALING:
            attempt = self._ensure_twilio(job, attempt)
        return attempt

    # --- Ultravox ---------------------------------------------------------------

    def _ensure_ultravox(self, job: dict[str, Any], attempt: dict[str, Any], *, look_first: bool) -> dict[str, Any]:
        ctx = self.ctx
        uv = ctx.ultravox
        metadata = {"job_id": str(job["id"]), "attempt_id": str(attempt["id"]),
                    "attempt_number": str(attempt["attempt_number"]), "engine_id": ctx.engine_id}
        context = {"contact_name": job["contact_name"],
                   "call_objective": attempt.get("objective") or job["current_call_objective_description"]}
        maybe_created = look_first

        def create() -> dict[str, Any]:
            nonlocal maybe_created
            if maybe_created:
                found = uv.find_calls("attempt_id", str(attempt["id"]))
                if found:
                    log.info("job %s attempt %s: found its Ultravox call %s by metadata",
                             job["id"], attempt["id"], found[0].get("callId"))
                    return found[0]
            ctx.leases.renew(job["id"])  # the create then runs well inside our lease
            try:
                return uv.create_call(ctx.config.secrets.ultravox_agent_id, context, metadata)
            except Transient:
                maybe_created = True  # it may have gone through: look before creating again
                raise

        call = ctx.retrying(f"job {job['id']}: creating the Ultravox call", create)
        return ctx.jobs.update_attempt(attempt["id"], ultravox_call_id=call["callId"],
                                       join_url=call.get("joinUrl"), phase=UV_CREATED)

    # --- Twilio -------------------------------------------------------------------

    def _ensure_twilio(self, job: dict[str, Any], attempt: dict[str, Any]) -> dict[str, Any]:
        """Place the leg once. Phase DIALING is written first: an attempt found in
        DIALING without a SID after a crash is followed through Ultravox alone,
        never dialed again."""
        ctx = self.ctx
        join_url = attempt.get("join_url")
        if not join_url:
            call = ctx.retrying("reading the Ultravox call", lambda: ctx.ultravox.get_call(attempt["ultravox_call_id"]))
            join_url = call.get("joinUrl")
            if not join_url:
                raise Transient("the Ultravox call has no joinUrl")
        ctx.leases.renew(job["id"])
        # from DIALING on the joinUrl is never used again (a crash follows the call
        # through Ultravox): the credential it carries leaves the database
        attempt = ctx.jobs.update_attempt(attempt["id"], phase=DIALING, join_url=None)
        try:
            status = ctx.retrying(f"job {job['id']}: placing the Twilio call",
                                  lambda: ctx.twilio.place(job["phone_number"], join_url))
        except MaybePlaced as e:
            log.warning("job %s attempt %s: %s; following the Ultravox call instead of dialing again",
                        job["id"], attempt["id"], e)
            return attempt
        attempt = ctx.jobs.update_attempt(attempt["id"], twilio_call_sid=status.sid, twilio_status=status.status,
                                          phase=DIALED)
        ctx.bus.publish(CallJobUpdated(job=job))  # the row is as claimed; views learn the call is out
        return attempt
