"""The worker against the Realtime simulator over a real socket: tools with
their rows, the turn log's order, priming, audio and barge-in."""
from __future__ import annotations

import time

from tests.helpers import job_record, told_but_not_said
from tests.voice.conftest import FakeDevice, check_client_event, finished_job, silence, tone, wait_for
from voice import instructions


def test_typed_text_tool_round_trip_rows_and_valid_events(harness, tap):
    worker = harness.start()
    harness.wait_state("primed")
    worker.send_text("Please call Akhil about the quarterly invoice")
    job = wait_for(lambda: harness.jobs.list_jobs(), what="a job row")[0]
    assert (job.contact_name, job.phone_number) == ("Akhil", "+12025550101")
    assert job.initial_call_objective_description == "the quarterly invoice"
    wait_for(lambda: [t for t in harness.turns() if t.role == "assistant"], what="the answer")
    turns = harness.turns()
    assert [t.role for t in turns] == ["user", "tool_call", "tool_result", "assistant"]
    assert turns[1].content.startswith("schedule_outbound_call(")
    assert f"Scheduled job {job.id}" in turns[2].content
    assert {t.session_id for t in turns} == {worker.session_id}
    called = harness.rec.of("tool_called")
    assert [c.name for c in called] == ["schedule_outbound_call"] and called[0].result == turns[2].content
    assert [e.role for e in harness.rec.of("transcript_turn")] == ["user", "tool_call", "tool_result", "assistant"]
    assert harness.rec.of("transcript_delta")
    sent = [check_client_event(f) for f in tap.frames]
    kinds = [e["type"] for e in sent]
    out = kinds.index("conversation.item.create", kinds.index("session.update") + 1)
    assert any(e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output" for e in sent)
    fco = next(i for i, e in enumerate(sent) if e["type"] == "conversation.item.create"
               and e["item"]["type"] == "function_call_output")
    assert "response.create" in kinds[fco + 1:], "no response.create after the function output"
    assert out >= 0
    session = sent[0]["session"]
    assert sent[0]["type"] == "session.update" and session["type"] == "realtime"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert session["audio"]["input"]["transcription"]["model"]
    assert {t["name"] for t in session["tools"]} >= {"schedule_outbound_call", "check_scheduled_call_status"}


def test_a_bad_tool_call_is_answered_and_writes_nothing(harness, tap):
    worker = harness.start()
    harness.wait_state("primed")
    worker.send_text("Call Zed Nobody about the roof")
    wait_for(lambda: [t for t in harness.turns() if t.role == "assistant"], what="the answer")
    roles = [t.role for t in harness.turns()]
    assert roles[0] == "user" and "assistant" in roles
    assert harness.jobs.list_jobs() == []
    for frame in tap.frames:
        check_client_event(frame)


def test_priming_instructions_history_and_background_summary(harness, tap):
    conv, jobs = harness.conversation, harness.jobs
    conv.add_turn("old", "user", "Hello there", timestamp="2026-01-01T10:00:00.000Z")
    conv.add_turn("old", "tool_call", 'list_scheduled_calls({})', timestamp="2026-01-01T10:00:01.000Z")
    conv.add_turn("old", "tool_result", "There are no scheduled calls.", timestamp="2026-01-01T10:00:02.000Z")
    last = conv.add_turn("old", "assistant", "Hi! Nothing scheduled.", timestamp="2026-01-01T10:00:03.000Z")
    conv.save_summary("The user said hello.", last - 1)
    job = finished_job(jobs)
    harness.start()
    harness.wait_state("primed")
    first = tap.events("session.update")[0]["session"]["instructions"]
    base = (harness.worker.base_instructions)
    assert first.startswith(base)
    assert "\n\n## Contact directory\n- Akhil (Operations): +12025550101 [America/New_York] — Handles invoices" in first
    # the refresh starts with the session, so on a slow machine its summary may already be in the first update
    assert any(f"\n\n## Conversation so far\n{s.strip()}\n" in first
               for s in ("The user said hello.", conv.latest_summary().summary))
    assert (f"\n\n## Pending call updates\n- [job {job.id}] Akhil (Operations), COMPLETED_SUCCESS: "
            "Akhil confirmed the invoice was paid on Monday.\n") in first
    wait_for(lambda: jobs.get_job(job.id).main_agent_informed_user, what="the update said and marked told")
    # the first session's replay (a loaded machine may miss a pong and reconnect, which replays again)
    replay = [e["item"] for e in tap.events("conversation.item.create") if e["item"]["id"].startswith("h1_")]
    assert [(i["type"], i.get("role")) for i in replay] == [
        ("message", "user"), ("function_call", None), ("function_call_output", None), ("message", "assistant")]
    assert replay[1]["call_id"] == replay[2]["call_id"] and replay[1]["name"] == "list_scheduled_calls"
    assert len({i["id"] for i in replay}) == 4 and all(len(i["id"]) <= 32 for i in replay)
    # the background summary arrives in a later session.update, saved first;
    # once said, the outcome is no longer carried
    wait_for(lambda: conv.latest_summary().upto_turn_id >= last and "[job" not in
             tap.events("session.update")[-1]["session"]["instructions"], what="a session.update without the update")
    summary = conv.latest_summary()
    assert summary.summary != "The user said hello."
    wait_for(lambda: "## Conversation so far\n" + conv.latest_summary().summary.strip()
             in tap.events("session.update")[-1]["session"]["instructions"], what="the summary in the instructions")
    turns = harness.turns()
    assert [t.role for t in turns] == ["user", "tool_call", "tool_result", "assistant", "assistant"]
    assert turns[-1].content == "Update on your call to Akhil: Akhil confirmed the invoice was paid on Monday."


def delivery_requests(tap, job_id: int) -> list[dict]:
    return [e for e in tap.events("response.create")
            if (e.get("response") or {}).get("metadata", {}).get("deliver_jobs") == str(job_id)]


def test_an_outcome_arriving_mid_session_is_said_at_the_next_quiet_moment_once(harness, tap):
    harness.start()
    harness.wait_state("primed")
    job = finished_job(harness.jobs, name="Priya", phone="+12025550102", summary="Priya will call back.")
    wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what="the outcome said")
    said = [t.content for t in harness.turns() if t.role == "assistant"]
    assert said == ["Update on your call to Priya: Priya will call back."]
    [request] = delivery_requests(tap, job.id)
    assert "## Tell the user now" in request["response"]["instructions"]
    assert f"[job {job.id}] Priya" in request["response"]["instructions"]
    harness.worker.send_text("Repeat after me: thanks")
    wait_for(lambda: any(t.content == "thanks" for t in harness.turns()), what="the next answer")
    assert len(delivery_requests(tap, job.id)) == 1
    assert "[job" not in tap.events("session.update")[-1]["session"]["instructions"]
    assert told_but_not_said(harness.jobs, harness.conversation) == []


def test_a_cancelled_delivery_marks_nothing_and_is_tried_again(harness, tap):
    harness.start()
    harness.wait_state("primed")
    harness.sims.realtime.speed = 0.05  # the model thinks for 2 s: time to cancel the delivery
    job = finished_job(harness.jobs, name="Priya", phone="+12025550102", summary="Priya will call back.")
    wait_for(lambda: delivery_requests(tap, job.id), what="a delivery")
    harness.worker.current_session().conn.send({"type": "response.cancel"})
    wait_for(lambda: [e for e in tap.server_events("response.done") if e["response"]["status"] == "cancelled"],
             what="the cancelled delivery")
    assert not harness.jobs.get_job(job.id).main_agent_informed_user
    harness.sims.realtime.speed = 20.0
    wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what="told on the second try")
    assert len(delivery_requests(tap, job.id)) == 2
    assert told_but_not_said(harness.jobs, harness.conversation) == []


def test_share_updates_asks_again_for_an_outcome_the_assistant_did_not_name(harness, tap):
    from voice import server_events as session_mod

    harness.start()
    harness.wait_state("primed")
    real = session_mod.names_job
    session_mod.names_job = lambda text, job: False  # as if the model talked about something else
    try:
        job = finished_job(harness.jobs, name="Priya", phone="+12025550102", summary="Priya will call back.")
        wait_for(lambda: delivery_requests(tap, job.id), what="a delivery")
        wait_for(lambda: tap.server_events("response.done"), what="its end")
        time.sleep(0.3)
    finally:
        session_mod.names_job = real
    assert len(delivery_requests(tap, job.id)) == 1  # not asked again in a loop
    assert not harness.jobs.get_job(job.id).main_agent_informed_user
    harness.worker.share_updates()  # the operator presses u
    wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what="told after u")
    assert len(delivery_requests(tap, job.id)) == 2


def test_user_audio_transcript_after_the_answer_still_orders_first(harness, tap):
    device = FakeDevice()
    harness.sims.realtime.next_transcripts.append("Repeat after me: the sky is green")
    harness.start(device=device, voice={"audio": "on"})
    harness.wait_state("primed")
    assert harness.rec.of("audio_state")[0].mode == "voice"
    device.say(tone(400) + silence(700))
    wait_for(lambda: len([t for t in harness.turns() if t.role in ("user", "assistant")]) >= 2,
             what="a user and an assistant turn")
    turns = harness.turns()
    assert [(t.role, t.content) for t in turns[:2]] == [
        ("user", "Repeat after me: the sky is green"), ("assistant", "the sky is green")]
    assert turns[0].timestamp < turns[1].timestamp
    wait_for(lambda: device.audible_ms() > 200, what="the answer played")
    for frame in tap.frames:
        check_client_event(frame)


def test_a_failed_transcription_still_logs_the_user_turn_first(harness, tap):
    device = FakeDevice()
    harness.sims.realtime.fail_transcriptions = 1
    harness.sims.realtime.next_transcripts.append("Repeat after me: unheard")
    harness.start(device=device, voice={"audio": "on"})
    harness.wait_state("primed")
    device.say(tone(400) + silence(700))
    wait_for(lambda: len([t for t in harness.turns() if t.role in ("user", "assistant")]) >= 2, what="two turns")
    assert [(t.role, t.content) for t in harness.turns()[:2]] == [("user", "(inaudible)"), ("assistant", "unheard")]


def test_barge_in_stops_playback_and_truncates_at_what_was_played(harness, tap):
    device = FakeDevice()
    worker = harness.start(device=device, voice={"audio": "on"})
    harness.wait_state("primed")
    worker.send_text("Say " + "this is a long answer that takes a while to speak. " * 6)
    wait_for(lambda: device.audible_ms() >= 400, what="playback under way")
    device.say(tone(300) + silence(700))
    truncate = wait_for(lambda: tap.events("conversation.item.truncate"), what="a truncate")[0]
    check_client_event(next(f for f in tap.frames if '"conversation.item.truncate"' in f))
    time.sleep(0.1)  # let the device pull a few more blocks of (what must be) silence
    heard = device.audible_ms()
    assert abs(truncate["audio_end_ms"] - heard) <= 25, (truncate["audio_end_ms"], heard)
    assert truncate["audio_end_ms"] >= 400 and truncate["content_index"] == 0
    assert not worker.player.playing()
    errors = [e for e in tap.events() if e["type"] == "error"]
    assert errors == []


def test_mute_stops_microphone_sending(harness, tap):
    device = FakeDevice()
    worker = harness.start(device=device, voice={"audio": "on"})
    harness.wait_state("primed")
    wait_for(lambda: tap.events("input_audio_buffer.append"), what="microphone audio")
    worker.set_muted(True)
    assert harness.rec.of("audio_state")[-1].muted is True
    time.sleep(0.1)
    count = len(tap.events("input_audio_buffer.append"))
    time.sleep(0.3)
    assert len(tap.events("input_audio_buffer.append")) == count
    worker.set_muted(False)
    wait_for(lambda: len(tap.events("input_audio_buffer.append")) > count, what="sending again")


def test_no_sound_device_means_text_mode_said_once(harness, tap):
    worker = harness.start(voice={"audio": "auto"})  # this machine has no sound card
    harness.wait_state("primed")
    states = harness.rec.of("audio_state")
    assert len(states) == 1 and states[0].mode == "text" and states[0].reason
    assert tap.events("session.update")[0]["session"]["output_modalities"] == ["text"]
    worker.set_text_mode(False)
    assert harness.rec.of("audio_state")[-1].mode == "text"
    worker.send_text("Repeat after me: typed words work")
    wait_for(lambda: [t for t in harness.turns() if t.content == "typed words work"], what="a text answer")


def test_turn_log_orders_by_when_items_joined_not_by_arrival(tmp_path):
    from core.clock import FixedClock
    from core.events import Bus
    from store import ConversationStore
    from voice.turns import ItemClock, TurnLog

    store = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    store.init_db()
    log = TurnLog(store, Bus(), ItemClock(FixedClock()), "sess_1")
    log.joined("u1", "user")          # the user's audio is committed
    log.joined("a1", "assistant")     # the answer starts (same instant on this clock)
    log.delta("a1", "Sure, ")
    log.complete("a1", "assistant", "Sure, done.")
    log.complete("u1", "user", "Please do it")  # the transcript comes last
    log.add("c1", "tool_call", "list_scheduled_calls({})")
    turns = store.get_recent_turns(10)
    assert [(t.role, t.item_id) for t in turns] == [("user", "u1"), ("assistant", "a1"), ("tool_call", "c1")]
    assert turns[0].turn_id > turns[1].turn_id  # written later, still first
    store.close()


def test_instructions_sections_parse_in_the_simulator():
    from sim.realtime import instructions as sim_instructions

    from core import config as config_mod
    from tests.conftest import ROOT

    settings = config_mod.load(ROOT / "config.toml", env={}, mode="simulate").settings
    job = job_record(id=7, contact_name="Akhil", overall_status="COMPLETED_SUCCESS",
                     final_summary_for_main_agent="Paid.\nAll good.")
    text = instructions.build_instructions("Base.", settings, "Earlier: hello.", [job])
    assert [c.name for c in sim_instructions.parse_directory(text)] == [c.name for c in settings.contacts]
    assert [(u.job, u.summary) for u in sim_instructions.parse_pending(text)] == [(7, "Paid. All good.")]


def test_round_trip_and_priming_on_postgresql(pg_harness, tap):
    h = pg_harness
    job = finished_job(h.jobs)
    worker = h.start()
    h.wait_state("primed")
    wait_for(lambda: h.jobs.get_job(job.id).main_agent_informed_user, what="the update told")
    worker.send_text("Please call Priya about the budget")
    wait_for(lambda: len(h.turns()) >= 5, what="the answer after the tool")
    turns = h.turns()
    # the assistant said the pending update at once, then schedules the call
    assert [t.role for t in turns] == ["assistant", "user", "tool_call", "tool_result", "assistant"]
    assert "Update on your call to Akhil" in turns[0].content
    new = [j for j in h.jobs.list_jobs() if j.id != job.id]
    assert [(j.contact_name, j.phone_number) for j in new] == [("Priya", "+12025550102")]


def test_the_instructions_file_is_configurable(harness, tap, tmp_path):
    custom = tmp_path / "mine.md"
    custom.write_text("You are Jeeves, a butler who places calls.\n", encoding="utf-8")
    harness.start(openai={"instructions_file": str(custom)})
    harness.wait_state("primed")
    text = tap.events("session.update")[0]["session"]["instructions"]
    assert text.startswith("You are Jeeves, a butler who places calls.\n\n## Contact directory\n")


def test_a_locked_calls_database_never_costs_the_session(harness, tap):
    import sqlite3

    from voice.session import WORKING_ON_IT

    lock_s = 25.0  # under the store's 30 s busy timeout, so the call is scheduled once it is free
    worker = harness.start()
    harness.wait_state("primed")
    db = sqlite3.connect(harness.tmp / "calls.db", timeout=1, isolation_level=None)
    locked_at = time.monotonic()
    db.execute("BEGIN EXCLUSIVE")
    try:
        worker.send_text("call Akhil about the invoice")
        wait_for(lambda: [t for t in harness.turns() if t.content == WORKING_ON_IT], timeout=10,
                 what="the assistant saying it is still working")
        assert harness.jobs.list_jobs() == []
        time.sleep(max(0.0, lock_s - (time.monotonic() - locked_at)))
        assert not harness.states("reconnecting"), "the session was declared dead while a tool waited"
    finally:
        db.execute("ROLLBACK")
        db.close()
    wait_for(lambda: harness.jobs.list_jobs(), what="the job row once the database is free")
    answer = wait_for(lambda: [t for t in harness.turns() if t.role == "assistant"
                               and t.content.startswith("I've scheduled a call to Akhil")], what="the late answer")
    assert len(answer) == 1 and len(harness.jobs.list_jobs()) == 1
    assert len(harness.states("connected")) == 1 and not harness.states("reconnecting")
    roles = [t.role for t in harness.turns()]
    assert roles == ["user", "tool_call", "assistant", "tool_result", "assistant"]


def test_a_restart_or_reconnect_never_marks_an_outcome_told(harness, tap):
    harness.sims.realtime.speed = 0.02  # the model takes 5 s to start answering: every delivery is cut off
    job = finished_job(harness.jobs)
    harness.start()
    harness.wait_state("primed")
    wait_for(lambda: delivery_requests(tap, job.id), what="a delivery")
    harness.sims.faults.trigger("drop")  # a reconnect mid-delivery
    harness.wait_state("primed", 2)
    wait_for(lambda: len(delivery_requests(tap, job.id)) >= 2, what="the delivery asked again")
    harness.stop()  # a restart mid-delivery
    assert not harness.jobs.get_job(job.id).main_agent_informed_user
    harness.sims.realtime.speed = 20.0
    harness.start()
    wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what="told after the restart")
    said = [t.content for t in harness.turns() if t.role == "assistant"]
    assert said == ["Update on your call to Akhil: Akhil confirmed the invoice was paid on Monday."]
    assert told_but_not_said(harness.jobs, harness.conversation) == []


def test_share_updates_while_disconnected_says_when_it_will_happen(harness, tap):
    harness.sims.faults.refuse_for(2.0)
    job = finished_job(harness.jobs)
    harness.start()
    harness.worker.share_updates()
    assert "as soon as it is back" in harness.rec.of("notice")[-1].text
    wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what="told once connected")
