"""Learning the SID of a leg whose create answer was lost (timed out after
sending, or garbled): the call exists at Twilio but the attempt does not know
it, so it could only be followed through Ultravox. Twilio's Calls list,
filtered by our from-number and the callee's, names it: a call created since
the attempt started that no other attempt owns. Taken only when exactly one
such call exists and no other attempt to the number is between dialing and
saving its own SID (that one's leg would look unowned)."""
from __future__ import annotations

import logging
from datetime import timedelta

from calling.context import Context
from calling.errors import CallError
from core.clock import iso, parse_iso
from core.records import Attempt, Job, Phase
from core.retry import Transient

log = logging.getLogger("calling")

# Twilio's clock and ours may disagree by this much (its date_created is whole seconds)
CLOCK_SLACK = timedelta(minutes=2)
LOOK_EVERY_S = 2.0  # while following a call whose SID is unknown


def sid_unknown(attempt: Attempt) -> bool:
    return attempt.phase == Phase.DIALING and not attempt.twilio_call_sid


def learn_sid(ctx: Context, job: Job, attempt: Attempt) -> Attempt:
    """One lookup; the attempt with its SID saved when the leg was found, else as given."""
    since = parse_iso(attempt.started_at) - CLOCK_SLACK
    try:
        legs = ctx.retrying("listing the Twilio calls", lambda: ctx.twilio.calls_to(job.phone_number, since))
    except (Transient, CallError) as e:
        log.warning("job %s attempt %s: could not look up its Twilio call: %s", job.id, attempt.id, e)
        return attempt
    # read after the list: an attempt that starts dialing later places a leg the list cannot hold
    others = ctx.jobs.legs_to_number(job.phone_number, iso(since), attempt.id)
    if any(phase == Phase.DIALING and not sid for sid, phase in others):
        log.info("job %s attempt %s: another call to %s is being dialed; looking up its SID later",
                 job.id, attempt.id, job.phone_number)
        return attempt
    owned = {sid for sid, _ in others if sid}
    unowned = [leg for leg in legs if leg.sid not in owned]
    if len(unowned) != 1:
        if unowned:
            log.warning("job %s attempt %s: %d Twilio calls to %s could be its own; none taken",
                        job.id, attempt.id, len(unowned), job.phone_number)
        return attempt
    leg = unowned[0]
    log.info("job %s attempt %s: its Twilio call is %s (found by number)", job.id, attempt.id, leg.sid)
    return ctx.jobs.update_attempt(attempt.id, twilio_call_sid=leg.sid, twilio_status=leg.status,
                                   phase=Phase.DIALED.value)
