"""The status line under pressure and the notices over the screen: many
badges with long outcomes beside long state reasons, and notices next to
the simulator panel's buttons, at the smallest and a large terminal. Update
with --snapshot-update, then look at them."""
from __future__ import annotations

import pytest

from core import events as ev
from tests.tui.conftest import app_for, fake_sims, finish_job
from tests.tui.test_snapshots import LARGE, SMALL, connected, still

SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x60"])
LONG_REASON = ("no audio device: PortAudioError -9996 Invalid input device (no default output device) "
               "while opening the stream on ALSA hw:0,0 after three tries")
LONG_DETAIL = ("ConnectionResetError: [Errno 104] Connection reset by peer while reading the socket "
               "from wss://api.openai.com/v1/realtime?model=gpt-realtime after 3 pongs went unanswered")


def many_outcomes(rt, count: int = 24) -> None:
    statuses = ("COMPLETED_SUCCESS", "FAILED_MAX_RETRIES", "FAILED_ERROR", "DECLINED")
    for i in range(count):
        job = rt.jobs.create_job(f"+1202555{i:04d}", f"Contact number {i} with a long family name",
                                 f"Objective {i}", max_retries=3)
        finish_job(rt, job.id, status=statuses[i % len(statuses)],
                   summary=f"Outcome {i}: they said a great deal about the invoice, the delivery and the weather, "
                           "and asked to be called back next week about all of it.")


@SIZES
def test_many_badges_beside_a_long_audio_reason(snap_compare, runtime, size):
    connected(runtime)
    runtime.bus.publish(ev.AudioState(mode="text", reason=LONG_REASON))
    many_outcomes(runtime)
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still())


@SIZES
def test_many_outside_updates_beside_a_long_drop_reason(snap_compare, runtime, size):
    runtime.bus.publish(ev.VoiceState(state="reconnecting", detail=LONG_DETAIL, attempt=3, retry_in_s=8.0))
    runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="Reconnecting"))
    runtime.bus.publish(ev.AudioState(mode="text", reason=LONG_REASON))
    for i in range(22):
        runtime.bus.publish(ev.NewCallUpdateAvailable(
            contact_name=f"Branch office {i} of the northern region",
            status_summary=f"Report {i} is in: sales were up, returns were down, and the audit found nothing."))
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still())


@SIZES
def test_notices_over_the_conversation(snap_compare, make_runtime, size):
    from tests.tui.test_notices import NOTICES
    from tests.tui.test_snapshots import busy

    rt = make_runtime("simulate", sims=fake_sims())
    busy(rt)

    async def tell(pilot) -> None:
        from tests.tui.conftest import notices, wait_for

        app = pilot.app
        for text in NOTICES:
            app.notify(text, title="SIMULATION" if text.startswith("Simulator") else "")
        await wait_for(pilot, lambda: all(any(text[:20] in n for n in notices(app)) for text in NOTICES))
        rack = app.screen.query_one("#textual-toastrack")
        await wait_for(pilot, lambda: rack.scroll_offset.y == rack.max_scroll_y)  # the newest in view, settled

    assert snap_compare(app_for(rt), terminal_size=size, run_before=still(tell))
