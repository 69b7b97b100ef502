"""Every persona, end to end: Ultravox call + Twilio leg joined through the
simulated phone network, end states, transcripts, and what the strategist
makes of them."""
from __future__ import annotations

import json
import uuid

import pytest
from twilio.base.exceptions import TwilioRestException

from sim.personas import BEHAVIOURS, Persona, Personas
from tests.sim_http.conftest import wait_for

FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
OBJECTIVE = "confirm the delivery on Friday"

# phone, twilio status, answered_by, endReason, message count (None: any >= 20), strategist action
CASES = [
    ("+12025550101", "completed", "human", "agent_hangup", 7, "MARK_JOB_COMPLETED_SUCCESS"),
    ("+12025550103", "no-answer", None, "unjoined", 0, "SCHEDULE_JOB_RETRY"),
    ("+12025550104", "busy", None, "unjoined", 0, "SCHEDULE_JOB_RETRY"),
    ("+12025550105", "completed", "machine_start", "agent_hangup", 2, "SCHEDULE_JOB_RETRY"),
    ("+12025550106", "completed", "human", "hangup", 3, "MARK_JOB_FAILED_MAX_RETRIES"),
    ("+12025550108", "completed", "human", "hangup", 2, "SCHEDULE_JOB_RETRY"),
    ("+12025550109", "completed", "human", "agent_hangup", None, "MARK_JOB_COMPLETED_SUCCESS"),
    ("+12025559999", "completed", "human", "agent_hangup", 7, "MARK_JOB_COMPLETED_SUCCESS"),  # unlisted
]


def transcript(messages: list[dict]) -> str:
    return "\n".join(("Agent: " if m["role"] == "MESSAGE_ROLE_AGENT" else "User: ") + m["text"] for m in messages)


def decide(oa, messages: list[dict]) -> dict:
    out = oa.chat.completions.create(
        model="gpt-4.1", response_format={"type": "json_schema", "json_schema": {"name": "d", "schema": {}}},
        messages=[{"role": "system", "content": "Decide what to do next."},
                  {"role": "user", "content": f"Objective: {OBJECTIVE}\nTranscript:\n{transcript(messages)}"}])
    return json.loads(out.choices[0].message.content)


def finished_leg(calls, sid: str):
    return wait_for(lambda: (f := calls.twilio.calls(sid).fetch()).status in FINAL and f, timeout=30)


@pytest.mark.parametrize("phone, status, answered_by, end_reason, count, action", CASES)
def test_persona_end_state(calls, oa, phone, status, answered_by, end_reason, count, action) -> None:
    call_id, sid = calls.place(phone, OBJECTIVE)
    leg = finished_leg(calls, sid)
    ended = calls.wait_ended(call_id)
    assert leg.status == status and leg.answered_by == answered_by
    assert ended["endReason"] == end_reason
    messages, pages = calls.messages(call_id)
    if count is None:
        assert len(messages) >= 20 and pages >= 7
    else:
        assert len(messages) == count
    if status == "completed" and phone not in ("+12025550105",):
        # the callee speaks first ("Hello?"), then the agent's opening
        assert messages[0] == {**messages[0], "role": "MESSAGE_ROLE_USER", "text": "Hello?"}
        assert OBJECTIVE in messages[1]["text"] and "Pat" in messages[1]["text"]
        assert ended["shortSummary"] and ended["summary"]
    if status != "completed":
        assert ended["joined"] is None and leg.duration == "0"
    assert decide(oa, messages)["action"] == action


def test_long_call_is_about_ten_times_longer(calls) -> None:
    short_id, short_sid = calls.place("+12025550101")
    long_id, long_sid = calls.place("+12025550109")
    short, long_ = finished_leg(calls, short_sid), finished_leg(calls, long_sid)
    short_msgs, _ = calls.messages(short_id)
    long_msgs, _ = calls.messages(long_id)
    assert len(long_msgs) >= 8 * len(short_msgs)
    # durations are simulated seconds; load can only stretch them, so bound the long one from below
    assert int(long_.duration) >= 50 and int(short.duration) >= 5


def test_invalid_number_fails_at_create(cluster, calls) -> None:
    with pytest.raises(TwilioRestException) as e:
        calls.place("+12025550107")
    assert e.value.code == 21211


def test_callback_first_then_success(cluster, calls, oa) -> None:
    phone = "+1202555" + str(uuid.uuid4().int % 10000).zfill(4)
    cluster.personas.add(Persona(phone=phone, name="Priya", behaviour="callback", callback_minutes=25))
    first, sid = calls.place(phone)
    finished_leg(calls, sid)
    messages, _ = calls.messages(calls.wait_ended(first)["callId"])
    assert "call me back in 25 minutes" in transcript(messages)
    d = decide(oa, messages)
    assert (d["action"], d["retry_delay_minutes"]) == ("SCHEDULE_JOB_RETRY", 25)
    second, sid = calls.place(phone)
    finished_leg(calls, sid)
    messages, _ = calls.messages(calls.wait_ended(second)["callId"])
    assert decide(oa, messages)["action"] == "MARK_JOB_COMPLETED_SUCCESS"


def test_no_machine_detection_means_no_answered_by(calls) -> None:
    _, sid = calls.place("+12025550105", machine_detection=False)
    assert finished_leg(calls, sid).answered_by is None


def test_shipped_personas_file_covers_every_behaviour(cluster) -> None:
    assert {p.behaviour for p in cluster.personas} >= set(BEHAVIOURS)


def test_bad_behaviour_is_rejected(tmp_path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('[[persona]]\nphone = "+12025550101"\nbehaviour = "grumpy"\n')
    with pytest.raises(ValueError, match="grumpy"):
        Personas.load(bad)
