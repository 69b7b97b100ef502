"""The bus and the JSON form of events (docs/interfaces.md)."""
from __future__ import annotations

import json
import threading

import pytest

from core import events
from core.clock import FixedClock
from core.events import Bus, ConnectionStatus, NewCallUpdateAvailable, TranscriptTurn


def test_connection_and_update_events_keep_their_exact_shape() -> None:
    bus = Bus(FixedClock())
    e = bus.publish(ConnectionStatus(status="disconnected", message="Assistant connectivity issues. Attempting to reconnect..."))
    assert json.loads(e.to_json()) == {
        "type": "connection_status", "ts": "2026-01-05T10:00:00.000Z", "status": "disconnected",
        "message": "Assistant connectivity issues. Attempting to reconnect...",
    }
    u = bus.publish(NewCallUpdateAvailable(contact_name="Akhil", status_summary="Paid.", job_id=3))
    assert json.loads(u.to_json()) == {
        "type": "new_call_update_available", "ts": "2026-01-05T10:00:00.000Z",
        "contact_name": "Akhil", "status_summary": "Paid.", "job_id": 3,
    }


def test_every_event_type_has_a_unique_name() -> None:
    names = [cls.type for cls in events.Event.__subclasses__()]
    assert len(names) == len(set(names))
    assert {"connection_status", "new_call_update_available", "transcript_turn", "transcript_delta", "tool_called",
            "call_job_updated", "call_update_dismissed", "mode"} <= set(names)


def test_a_failing_subscriber_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = Bus()
    got: list[str] = []
    bus.subscribe(lambda e: 1 / 0)
    bus.subscribe(lambda e: got.append(e.type))
    bus.publish(events.Mode(mode="simulate"))
    assert got == ["mode"]
    assert "ZeroDivisionError" in caplog.text


def test_publish_from_many_threads_delivers_everything_once() -> None:
    bus = Bus()
    seen: list[str] = []
    lock = threading.Lock()

    def collect(e: events.Event) -> None:
        with lock:
            seen.append(e.text)  # type: ignore[attr-defined]

    bus.subscribe(collect)
    unsubscribe_me = bus.subscribe(lambda e: None)
    threads = [
        threading.Thread(target=lambda i=i: [bus.publish(events.Notice(level="info", text=f"{i}-{n}")) for n in range(500)])
        for i in range(8)
    ]
    for t in threads:
        t.start()
    unsubscribe_me()
    for t in threads:
        t.join()
    assert len(seen) == 4000 and len(set(seen)) == 4000
