"""The connection that never gives up: drops, half-open sockets, refusals,
session expiry, auth and config errors, stopping, and an update told
exactly once across many random drops."""
from __future__ import annotations

import random
import time

from core import config as config_mod
from tests.helpers import told_but_not_said
from tests.voice.conftest import finished_job, voice_config, wait_for
from voice.session import CONNECTED_MESSAGE
from voice.worker import DISCONNECTED_MESSAGE


def statuses(harness):
    return [(e.status, e.message) for e in harness.rec.of("connection_status")]


def test_a_drop_reconnects_at_once_with_the_fixed_status_messages(harness):
    worker = harness.start()
    harness.wait_state("primed")
    first = worker.session_id
    harness.sims.faults.trigger("drop")
    harness.wait_state("primed", 2)
    assert worker.session_id != first
    assert statuses(harness) == [("connected", CONNECTED_MESSAGE), ("disconnected", DISCONNECTED_MESSAGE),
                                 ("connected", CONNECTED_MESSAGE)]
    reconnecting = harness.states("reconnecting")
    assert len(reconnecting) == 1 and reconnecting[0].retry_in_s == 0 and reconnecting[0].attempt == 1


def test_a_half_open_socket_is_found_within_the_ping_window(harness):
    worker = harness.start()  # ping every 1 s, 0.5 s for the pong
    harness.wait_state("primed")
    harness.sims.faults.trigger("half_open")
    started = time.monotonic()
    wait_for(lambda: harness.rec.of("connection_status", status="disconnected"), timeout=10, what="detection")
    found_in = time.monotonic() - started
    assert found_in <= 1.0 + 0.5 + 1.0, found_in
    harness.wait_state("primed", 2)
    assert worker.session_id is not None


def test_refused_connections_back_off_then_recover(harness):
    harness.start()
    harness.wait_state("primed")
    harness.sims.faults.refuse_for(2.0)
    harness.sims.faults.trigger("drop")
    harness.wait_state("primed", 2, timeout=20)
    waits = [(e.attempt, e.retry_in_s) for e in harness.states("reconnecting")]
    assert len(waits) >= 3, waits
    assert waits[0] == (1, 0.0)
    assert all(0 < w <= 0.5 for _, w in waits[1:]), waits  # capped at voice.reconnect_cap_s
    assert [a for a, _ in waits] == list(range(1, len(waits) + 1))
    assert harness.states("auth_failed") == []


def test_session_expiry_is_a_planned_immediate_reconnect(harness):
    harness.start()
    harness.wait_state("primed")
    harness.sims.faults.trigger("expire")
    harness.wait_state("primed", 2)
    (planned,) = harness.states("reconnecting")
    assert planned.retry_in_s == 0 and "time limit" in planned.detail
    # the close frame 1001 "maximum duration" is a session end, not an outage: no "connectivity issues"
    assert [e.status for e in harness.rec.of("connection_status")] == ["connected"], \
        harness.rec.of("connection_status")


def test_an_auth_failure_stops_retrying_and_says_so(harness):
    bad = config_mod.Secrets(openai_api_key="sk-wrong-key-0000")
    harness.start(voice_config(harness.sims, harness.tmp, secrets=bad))
    harness.wait_state("auth_failed")
    (failed,) = harness.states("auth_failed")
    assert "401" in failed.detail and "not retrying" in failed.detail
    time.sleep(0.5)  # give a wrongly retrying worker the chance to show itself
    assert len(harness.states("connecting")) == 1
    assert harness.sims.realtime.sessions_created == 0
    assert harness.stop() < 2.0


def test_an_account_out_of_quota_stops_retrying_and_says_so(harness):
    worker = harness.start()
    harness.wait_state("primed")
    harness.sims.faults.set_quota_exhausted(True)
    worker.send_text("call Akhil about the invoice")
    harness.wait_state("auth_failed")
    (failed,) = harness.states("auth_failed")
    assert "out of quota" in failed.detail and "not retrying" in failed.detail
    time.sleep(0.5)  # a wrongly reconnecting worker would show itself
    assert len(harness.states("connecting")) == 1
    harness.sims.faults.set_quota_exhausted(False)


def test_config_errors_stop_before_connecting(harness):
    cfg = voice_config(harness.sims, harness.tmp, voice={"ping_interval_s": 2.0, "ping_timeout_s": 4.0})
    harness.start(cfg)
    harness.wait_state("config_error")
    assert "ping_interval_s" in harness.states("config_error")[0].detail
    assert harness.states("connecting") == []
    harness.stop()


def test_missing_key_or_instructions_file_is_a_config_error(harness):
    cfg = voice_config(harness.sims, harness.tmp, secrets=config_mod.Secrets(),
                       openai={"instructions_file": "nope.md"})
    harness.start(cfg)
    harness.wait_state("config_error")
    assert "OPENAI_API_KEY" in harness.states("config_error")[0].detail
    harness.stop()
    cfg = voice_config(harness.sims, harness.tmp, openai={"instructions_file": "voice/missing.md"})
    harness.start(cfg)
    harness.wait_state("config_error", 2)
    assert "instructions_file" in harness.states("config_error")[-1].detail


def test_stop_returns_quickly_even_on_a_half_open_socket(harness):
    harness.start(voice={"ping_interval_s": 30.0, "ping_timeout_s": 20.0})
    harness.wait_state("primed")
    harness.sims.faults.trigger("half_open")
    time.sleep(0.2)
    assert harness.stop() < 2.0
    assert harness.states("stopped")


def test_stop_during_backoff(harness):
    harness.start(voice={"reconnect_cap_s": 30.0})
    harness.wait_state("primed")
    harness.sims.faults.refuse_for(60)
    harness.sims.faults.trigger("drop")
    wait_for(lambda: len(harness.states("reconnecting")) >= 3, what="backing off")
    assert harness.stop() < 2.0


def test_text_typed_while_disconnected_is_sent_on_connect(harness):
    harness.sims.faults.refuse_for(1.0)
    worker = harness.start()
    worker.send_text("Repeat after me: queued words")
    harness.wait_state("primed", timeout=20)
    wait_for(lambda: [t for t in harness.turns() if t.content == "queued words"], what="the answer")
    assert [t.content for t in harness.turns() if t.role == "user"] == ["Repeat after me: queued words"]


def deliveries(tap) -> list[dict]:
    """Every delivery response the client saw begin: its jobs, what it said
    and whether its completion reached the client."""
    runs: dict[str, dict] = {}
    for event in tap.server_events():
        kind = event.get("type")
        response = event.get("response") or {}
        if kind == "response.created" and "deliver_jobs" in (response.get("metadata") or {}):
            runs[response["id"]] = {"jobs": [int(i) for i in response["metadata"]["deliver_jobs"].split(",")],
                                    "said": "", "completed": False}
        elif kind in ("response.output_text.delta", "response.output_audio_transcript.delta"):
            if event.get("response_id") in runs:
                runs[event["response_id"]]["said"] += event.get("delta") or ""
        elif kind == "response.done" and response.get("id") in runs:
            runs[response["id"]]["completed"] = response.get("status") == "completed"
    return list(runs.values())


def exactly_once_figures(tap, job_ids: list[int]) -> dict[str, int]:
    runs = deliveries(tap)
    figures = {"outcomes": len(job_ids), "deliveries_begun": len(runs),
               "completed": sum(r["completed"] for r in runs), "cut_off": sum(not r["completed"] for r in runs),
               "said_once": 0, "said_twice_after_cut_off": 0, "said_more": 0}
    for job_id in job_ids:
        mine = [r for r in runs if job_id in r["jobs"] and r["said"].strip()]
        done = [i for i, r in enumerate(mine) if r["completed"]]
        assert len(done) == 1, f"job {job_id}: {len(done)} completed deliveries"
        assert all(not r["completed"] for r in mine[: done[0]]) and done[0] == len(mine) - 1, mine
        key = {1: "said_once", 2: "said_twice_after_cut_off"}.get(len(mine), "said_more")
        figures[key] += 1
    return figures


def test_outcomes_are_said_exactly_once_across_100_random_drops(harness, tap):
    rng = random.Random(20261127)
    jobs = [finished_job(harness.jobs)]
    worker = harness.start(voice={"history_turns": 4, "reconnect_cap_s": 0.1})
    said = []
    for n in range(100):
        harness.wait_state("connected", n + 1, timeout=30)
        if n % 10 == 5:
            said.append(f"token {n}")
            worker.send_text(f"Repeat after me: token {n}")
        if n % 10 == 2:
            jobs.append(finished_job(harness.jobs, summary=f"Outcome number {n}."))
        time.sleep(rng.uniform(0, 0.03))
        harness.sims.faults.trigger("drop")
    harness.wait_state("connected", 101, timeout=30)
    for job in jobs:
        wait_for(lambda: harness.jobs.get_job(job.id).main_agent_informed_user, what=f"job {job.id} told")
    wait_for(lambda: not worker.outbox, what="every typed message in the conversation")
    for job in jobs:
        flips = [e for e in harness.rec.of("call_job_updated")
                 if e.job.id == job.id and e.job.main_agent_informed_user]
        assert len(flips) == 1, f"job {job.id} marked told {len(flips)} times"
    figures = exactly_once_figures(tap, [j.id for j in jobs])
    print("exactly-once across 100 drops:", figures)
    assert figures["said_more"] == 0
    assert len(harness.states("connected")) >= 101
    users = [t.content for t in harness.turns() if t.role == "user"]
    for token in said:
        assert users.count(f"Repeat after me: {token}") == 1, (token, users)
    assert told_but_not_said(harness.jobs, harness.conversation) == []


def test_http_errors_on_the_upgrade_are_retried_honouring_retry_after(harness, tap):
    harness.sims.faults.fail_next("realtime", 429, count=2, retry_after_s=0.2)
    harness.start()
    harness.wait_state("primed")
    waits = [e.retry_in_s for e in harness.states("reconnecting")]
    assert waits == [0.2, 0.2]
    assert all("429" in e.detail for e in harness.states("reconnecting"))


def test_a_malformed_server_event_is_skipped(harness, tap):
    worker = harness.start()
    harness.wait_state("primed")
    harness.sims.faults.malform_next("realtime", 1)  # the user item's conversation.item.added
    worker.send_text("Repeat after me: still here")
    wait_for(lambda: [t for t in harness.turns() if t.content == "still here"], what="the first answer")
    worker.send_text("Repeat after me: and again")
    wait_for(lambda: [t for t in harness.turns() if t.content == "and again"], what="the second answer")
    assert [t.content for t in harness.turns() if t.role == "user"] == [
        "Repeat after me: still here", "Repeat after me: and again"]
    assert worker.outbox == [] and len(harness.states("connected")) == 1
