"""Placing one attempt: the Ultravox call, then the Twilio leg streaming to
it. Each id is written to the attempt row as soon as it is known, and a
creation that may have gone through (timeout, garbled answer, 5xx, a crash
before the id was saved) is looked up before anything is created again:
Ultravox by our metadata (a key unique to this attempt of this install, and
only a call that has not ended); a Twilio leg that may exist without our
knowing its SID is never dialed again: it is looked up by number
(calling/leg_lookup.py), and followed through Ultravox until it is found.

A leg Twilio refused (429 storm, 5xx through every retry) was never placed:
the attempt goes back to "Ultravox call created", the refusal is recorded,
and it is dialed again after the service's Retry-After — never counted as
the callee not answering."""
from __future__ import annotations

import logging
import uuid
from typing import Any

from calling.context import Context
from calling.errors import ProviderRefused
from calling.leg_lookup import learn_sid
from calling.pacing import TWILIO, ULTRAVOX
from calling.twilio_leg import LegStatus, MaybePlaced
from calling.ultravox_client import UltravoxCall
from core.records import Attempt, Job
from core.retry import Transient

JOIN_MARGIN_S = 20  # Twilio's queueing (1 call a second per account) and the stream's set-up

log = logging.getLogger("calling")

CREATED, UV_CREATED, DIALING, DIALED, ENDED = "CREATED", "ULTRAVOX_CREATED", "DIALING", "DIALED", "ENDED"


def call_metadata(install_id: str, job: Job, attempt: Attempt) -> dict[str, str]:
    """What identifies an attempt's Ultravox call as ours: ``call_key`` is unique to
    this install, the attempt row and its start (ids repeat after a database reset)."""
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"switchboard:{install_id}:{attempt.id}:{attempt.started_at}")
    return {"call_key": str(key), "install_id": install_id, "job_id": str(job.id),
            "attempt_id": str(attempt.id), "attempt_number": str(attempt.attempt_number)}


class Dialer:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def ensure_dialed(self, job: Job, attempt: Attempt, *, reconciling: bool) -> Attempt:
        """Bring ``attempt`` to phase DIALED (or beyond); returns the updated row."""
        if attempt.ultravox_call_id and not attempt.twilio_call_sid and attempt.phase == UV_CREATED:
            attempt = self._drop_if_ended(job, attempt)
        if not attempt.ultravox_call_id:
            attempt = self._ensure_ultravox(job, attempt, look_first=reconciling)
        if not attempt.twilio_call_sid and attempt.phase != DIALING:
            attempt = self._ensure_twilio(job, attempt)
        return attempt

    # --- Ultravox ---------------------------------------------------------------

    def _drop_if_ended(self, job: Job, attempt: Attempt) -> Attempt:
        """An Ultravox call not yet dialed may have ended meanwhile (its join window
        passed while Twilio refused us): dialing into it would be silence."""
        ctx = self.ctx
        call = ctx.retrying("reading the Ultravox call", lambda: ctx.ultravox.get_call(attempt.ultravox_call_id))
        if not call.get("ended"):
            return attempt
        log.info("job %s attempt %s: Ultravox call %s ended before it was dialed; creating another",
                 job.id, attempt.id, attempt.ultravox_call_id)
        return ctx.jobs.update_attempt(attempt.id, ultravox_call_id=None, join_url=None, phase=CREATED)

    def first_speaker(self, job: Job) -> str:
        for contact in self.ctx.config.settings.contacts:
            if contact.phone == job.phone_number and contact.first_speaker:
                return contact.first_speaker
        return self.ctx.calling.first_speaker

    def _ensure_ultravox(self, job: Job, attempt: Attempt, *, look_first: bool) -> Attempt:
        ctx = self.ctx
        uv = ctx.ultravox
        metadata = call_metadata(ctx.install_id, job, attempt)
        context = {"contact_name": job.contact_name,
                   "call_objective": attempt.objective or job.current_call_objective_description}
        join_timeout = ctx.twilio.connect_window_s + JOIN_MARGIN_S
        maybe_created = look_first

        def create() -> UltravoxCall:
            nonlocal maybe_created
            if maybe_created:
                found = uv.find_own_live_call(metadata)
                if found:
                    log.info("job %s attempt %s: found its Ultravox call %s by metadata",
                             job.id, attempt.id, found.get("callId"))
                    return found
            ctx.pacing.before_create(ULTRAVOX)
            ctx.leases.renew(job.id)  # the create then runs well inside our lease
            try:
                return uv.create_call(ctx.config.secrets.ultravox_agent_id, context, metadata,
                                      first_speaker=self.first_speaker(job), join_timeout_s=join_timeout,
                                      record=ctx.config.settings.ultravox.record_calls)
            except Transient:
                maybe_created = True  # it may have gone through: look before creating again
                raise

        call = ctx.retrying(f"job {job.id}: creating the Ultravox call", create)
        return ctx.jobs.update_attempt(attempt.id, ultravox_call_id=call["callId"],
                                       join_url=call.get("joinUrl"), phase=UV_CREATED)

    # --- Twilio -------------------------------------------------------------------

    def _ensure_twilio(self, job: Job, attempt: Attempt) -> Attempt:
        """Place the leg once. Phase DIALING is written first: an attempt found in
        DIALING without a SID after a crash is followed through Ultravox alone,
        never dialed again."""
        ctx = self.ctx
        join_url = attempt.join_url
        if not join_url:
            call = ctx.retrying("reading the Ultravox call", lambda: ctx.ultravox.get_call(attempt.ultravox_call_id))
            join_url = call.get("joinUrl")
            if not join_url:
                raise Transient("the Ultravox call has no joinUrl")
        ctx.leases.renew(job.id)
        # from DIALING on the joinUrl is never used again (a crash follows the call
        # through Ultravox): the credential it carries leaves the database
        attempt = ctx.jobs.update_attempt(attempt.id, phase=DIALING, join_url=None)

        def place() -> LegStatus:
            ctx.pacing.before_create(TWILIO)
            return ctx.twilio.place(job.phone_number, join_url)

        try:
            status = ctx.retrying(f"job {job.id}: placing the Twilio call", place)
        except (Transient, ProviderRefused) as e:
            # refused outright (429, 5xx, no connection, credentials): no leg exists, so dialing again is safe
            ctx.jobs.update_attempt(attempt.id, phase=UV_CREATED, error_details=f"not dialed yet: {e}"[:2000])
            raise
        except MaybePlaced as e:
            log.warning("job %s attempt %s: %s; looking the call up instead of dialing again",
                        job.id, attempt.id, e)
            return learn_sid(ctx, job, attempt)
        attempt = ctx.jobs.update_attempt(attempt.id, twilio_call_sid=status.sid, twilio_status=status.status,
                                          phase=DIALED)
        return attempt  # update_attempt published the job's row: views learn the call is out
