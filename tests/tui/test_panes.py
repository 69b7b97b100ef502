"""Transcript, display pane, connection banner, input line and the
simulation panel, fed by events on the bus."""
from __future__ import annotations

import pytest
from textual.widgets import Input

from core import events as ev
from tests.tui.conftest import wait_for_notice, console, SIZE, app_for, fake_sims, plain, wait_for
from tui.widgets.banner import AudioIndicator, ConnectionBanner, RECONNECTING
from tui.widgets.display import DisplayPane
from tui.widgets.sim_panel import SimPanel
from tui.widgets.transcript import Transcript

pytestmark = pytest.mark.asyncio


def log_text(app) -> str:
    """The log's text with wrapping undone."""
    return " ".join(" ".join(line.text for line in app.main_screen.query_one("#transcript-log").lines).split())


async def test_assistant_streams_then_settles(runtime):
    async with console(runtime) as (app, pilot):
        transcript = app.main_screen.query_one(Transcript)
        live = transcript.query_one("#transcript-live")
        runtime.bus.publish(ev.TranscriptTurn(role="user", text="call Akhil", session_id="s1", turn_id=1))
        runtime.bus.publish(ev.TranscriptDelta(session_id="s1", item_id="i2", delta="Sure, "))
        runtime.bus.publish(ev.TranscriptDelta(session_id="s1", item_id="i2", delta="calling him"))
        await wait_for(pilot, lambda: "Sure, calling him" in plain(live))
        runtime.bus.publish(ev.ToolCalled(name="schedule_outbound_call", arguments='{"contact_name":"Akhil"}',
                                          result='Scheduled job 1: a call to Akhil (+12025550101) to "x".'))
        runtime.bus.publish(ev.TranscriptTurn(role="assistant", text="Sure, calling him now.", session_id="s1",
                                              turn_id=3))
        await wait_for(pilot, lambda: "Assistant: Sure, calling him now." in log_text(app))
        text = log_text(app)
        assert "You: call Akhil" in text and "tool: Scheduled a call to Akhil — job 1" in text
        assert not live.display


async def test_transcript_window_is_bounded_and_scrolls_back(make_runtime):
    def setup(rt):
        for i in range(700):
            rt.conversation.add_turn("s1", "user" if i % 2 else "assistant", f"turn {i}",
                                     timestamp=f"2026-01-05T09:{i // 60:02d}:{i % 60:02d}.000Z")

    rt = make_runtime(setup=setup)
    async with console(rt) as (app, pilot):
        transcript = app.main_screen.query_one(Transcript)
        transcript.window = 300
        first = len(transcript.turns)
        assert first == 200 and transcript.turns[-1]["text"] == "turn 699"
        await pilot.press("e")
        await wait_for(pilot, lambda: len(transcript.turns) == first + 100)
        assert transcript.turns[0]["text"] == "turn 400"
        for i in range(400):
            rt.bus.publish(ev.TranscriptTurn(role="user", text=f"new {i}", session_id="s2"))
        await wait_for(pilot, lambda: transcript.turns[-1]["text"] == "new 399")
        assert len(transcript.turns) <= transcript.window + 50


@pytest.mark.parametrize("kind,content,expected", [
    ("markdown", "# Plan\n\n- call Akhil", "Plan"),
    ("table", {"columns": ["Name", "Calls"], "rows": [["Akhil", 2]]}, "Akhil"),
    ("series", {"labels": ["Mon", "Tue"], "values": [1, 4]}, "████"),
    ("series", {"labels": ["x"], "values": ["not a number"]}, "Cannot show"),
])
async def test_display_pane(runtime, kind, content, expected):
    async with console(runtime) as (app, pilot):
        pane = app.main_screen.query_one(DisplayPane)
        assert not pane.display
        runtime.bus.publish(ev.Display(kind=kind, title="Shown", content=content))
        await wait_for(pilot, lambda: pane.display and expected in plain(pane))


@pytest.mark.parametrize("voice,connection,expected,css", [
    ({"state": "connecting"}, "disconnected", "Connecting to the assistant", "connecting"),
    ({"state": "reconnecting", "attempt": 2}, "disconnected", RECONNECTING, "reconnecting"),
    ({"state": "auth_failed", "detail": "401"}, "disconnected", "check OPENAI_API_KEY", "error"),
])
async def test_banner_states(runtime, voice, connection, expected, css):
    async with console(runtime) as (app, pilot):
        banner = app.main_screen.query_one(ConnectionBanner)
        runtime.bus.publish(ev.ConnectionStatus(status=connection, message=""))
        runtime.bus.publish(ev.VoiceState(**voice))
        await wait_for(pilot, lambda: banner.display and expected in plain(banner) and banner.has_class(css))
        runtime.bus.publish(ev.VoiceState(state="connected"))
        runtime.bus.publish(ev.ConnectionStatus(status="connected", message="ok"))
        if css != "error":  # the state line stays, saying all is well
            await wait_for(pilot, lambda: banner.display and "assistant connected" in plain(banner)
                           and banner.has_class("connected"))


async def test_audio_indicator(runtime):
    async with console(runtime) as (app, pilot):
        audio = app.main_screen.query_one(AudioIndicator)
        runtime.bus.publish(ev.AudioState(mode="text", reason="no audio device"))
        await wait_for(pilot, lambda: "text only: no audio device" in plain(audio))
        runtime.bus.publish(ev.AudioState(mode="voice", muted=True))
        await wait_for(pilot, lambda: "mic muted" in plain(audio) and audio.has_class("muted"))


class RecordingAssistant:
    """Stands in for the voice worker at the Actions.Assistant boundary."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def send_text(self, text: str) -> None:
        self.calls.append(("text", text))

    def set_muted(self, muted: bool) -> None:
        self.calls.append(("muted", muted))

    def set_text_mode(self, text_only: bool) -> None:
        self.calls.append(("text_only", text_only))

    def share_updates(self) -> None:
        self.calls.append(("share_updates", None))


async def test_input_mute_and_text_mode_reach_the_assistant(runtime):
    assistant = RecordingAssistant()
    runtime.actions.assistant = assistant
    runtime.bus.publish(ev.AudioState(mode="voice", muted=False))
    async with console(runtime) as (app, pilot):
        await pilot.press("i", *"hello", "enter")
        await wait_for(pilot, lambda: ("text", "hello") in assistant.calls)
        assert app.main_screen.query_one("#prompt", Input).value == ""
        await pilot.press("escape", "m", "t", "u")
        await wait_for(pilot, lambda: assistant.calls[1:] == [("muted", True), ("text_only", True),
                                                              ("share_updates", None)])


async def test_mute_without_an_assistant_says_so(runtime):
    async with console(runtime) as (app, pilot):
        await pilot.press("m")
        await wait_for_notice(pilot, app, "not running")


async def test_simulation_panel_flips_faults(make_runtime):
    sims = fake_sims()
    rt = make_runtime("simulate", sims=sims)
    async with console(rt) as (app, pilot):
        assert "SIMULATION" in app.sub_title
        panel = app.main_screen.query_one(SimPanel)
        assert "Akhil" in plain(panel.query_one("#sim-personas"))
        await pilot.click("#fault-ultravox")
        await wait_for(pilot, lambda: sims.faults.snapshot()["http_failures"] == {"ultravox": [503, 3]})
        await pilot.click("#fault-refuse")
        await wait_for(pilot, lambda: sims.faults.refusing())
        await pilot.click("#fault-reset")  # the notices the first two left lie elsewhere
        await wait_for(pilot, lambda: not sims.faults.refusing() and "faults: none" in plain(panel.query_one("#sim-status")))


async def test_a_fault_from_the_palette_is_applied_as_a_button_would(make_runtime):
    sims = fake_sims()
    rt = make_runtime("simulate", sims=sims)
    async with console(rt) as (app, pilot):
        panel = app.main_screen.query_one(SimPanel)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Simulator: Twilio")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: sims.faults.snapshot()["http_failures"] == {"twilio": [429, 2]})
        await wait_for_notice(pilot, app, "Simulator fault: Twilio 429×2")
        assert "twilio 429×2" in plain(panel.query_one("#sim-status"))


async def test_no_simulation_panel_in_live_mode(runtime):
    app = app_for(runtime)
    async with app.run_test(size=SIZE):
        assert not app.main_screen.query(SimPanel)
        assert app.sub_title == "LIVE"


async def test_mirror_link_is_copied_not_shown_in_the_header(runtime):
    runtime.mirror_url = "http://127.0.0.1:8765"
    runtime.mirror_link = "http://127.0.0.1:8765/?token=abc"
    async with console(runtime) as (app, pilot):
        assert "token" not in app.sub_title and "y copies its link" in app.sub_title
        await wait_for_notice(pilot, app, "press y to copy its link")
        copied = []
        app.copy_to_clipboard = copied.append  # the terminal's clipboard, as OSC 52 would fill it
        await pilot.press("y")
        assert copied == ["http://127.0.0.1:8765/?token=abc"]
        await wait_for_notice(pilot, app, "copied")
