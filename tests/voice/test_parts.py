"""The pure parts: the jitter buffer, history replay, the summary prompt."""
from __future__ import annotations

from datetime import datetime, timezone

from core.records import Turn
from voice import protocol
from voice.audio import Player
from voice.priming import history_items, summary_prompt


def test_player_prebuffers_counts_what_was_played_and_stops():
    player = Player(prebuffer_ms=60)
    player.feed("a", 0, b"\x01\x00" * 24 * 40)  # 40 ms: below the prebuffer
    assert player.pull(960) == bytes(960) and player.played == {}
    player.feed("a", 0, b"\x01\x00" * 24 * 40)  # 80 ms buffered: playback starts
    assert player.pull(960) == b"\x01\x00" * 480
    assert player.played == {"a": 960} and player.playing()
    player.feed("b", 0, b"\x02\x00" * 24 * 100)
    for _ in range(4):
        player.pull(960)
    assert player.played["a"] == 80 * 48 and player.played["b"] == 20 * 48
    assert player.stop() == ("b", 0, 20)
    assert not player.playing() and player.pull(960) == bytes(960)


def test_player_flushes_a_short_tail_and_never_reports_more_than_received():
    player = Player(prebuffer_ms=60)
    player.feed("a", 0, b"\x01\x00" * 24 * 10)
    player.finish()
    out = player.pull(960)
    assert out[:480] == b"\x01\x00" * 240 and out[480:] == bytes(480)
    assert player.stop() == ("a", 0, 10)


def test_history_replay_pairs_tool_calls_and_drops_orphans():
    turns = [Turn.from_row(t | {"session_id": "s", "timestamp": "2026-01-05T10:00:00.000Z"}) for t in [
        {"turn_id": 1, "role": "tool_result", "content": "orphan result"},
        {"turn_id": 2, "role": "user", "content": "hi"},
        {"turn_id": 3, "role": "tool_call", "content": 'check_scheduled_call_status({"contact_name": "Akhil"})'},
        {"turn_id": 4, "role": "tool_result", "content": "queued"},
        {"turn_id": 5, "role": "system", "content": "ignored"},
        {"turn_id": 6, "role": "assistant", "content": "It is queued."},
        {"turn_id": 7, "role": "tool_call", "content": "list_scheduled_calls({})"},
    ]]
    items = [e["item"] for e in history_items(turns, "h12345678901234567890_")]
    assert [(i["type"], i.get("role")) for i in items] == [
        ("message", "user"), ("function_call", None), ("function_call_output", None), ("message", "assistant")]
    assert items[1]["arguments"] == '{"contact_name": "Akhil"}' and items[1]["call_id"] == items[2]["call_id"]
    assert all(len(i["id"]) <= protocol.MAX_ITEM_ID for i in items) and len({i["id"] for i in items}) == 4


def test_summary_prompt_has_the_time_and_relative_times():
    now = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    turns = [Turn(turn_id=i, session_id="s", timestamp=ts, role=role, content=content) for i, (ts, role, content) in
             enumerate([("2026-01-05T09:55:00.000Z", "user", "Call Akhil"),
                        ("2026-01-05T09:59:50.000Z", "assistant", "Done."),
                        ("2026-01-03T09:00:00.000Z", "tool_result", "ok")], 1)]
    system, user = summary_prompt("Earlier: hello.", turns, now)
    assert system["role"] == "system" and "Current time: 2026-01-05 10:00 UTC." in user["content"]
    assert "(5 minutes ago) User: Call Akhil" in user["content"]
    assert "(just now) Assistant: Done." in user["content"]
    assert "(2 days ago) Tool result: ok" in user["content"]
    assert "Earlier: hello." in user["content"]


def test_realtime_url_adds_the_model():
    assert protocol.realtime_url("wss://api.openai.com/v1/realtime", "gpt-realtime") == \
        "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    assert protocol.realtime_url("ws://h:1/v1/realtime?model=x", "y") == "ws://h:1/v1/realtime?model=x"
