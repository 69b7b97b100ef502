"""The main screen: transcript and input on the left, jobs, display and (in
simulation) the simulator panel on the right; connection and badges below."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from core import events as ev
from store.jobs import FINISHED
from tui.bindings import MAIN_BINDINGS
from tui.widgets.badges import UpdateBadges
from tui.widgets.banner import AudioIndicator, ConnectionBanner
from tui.widgets.display import DisplayPane
from tui.widgets.jobs_table import JobTable
from tui.widgets.prompt import Prompt
from tui.widgets.sim_panel import SimPanel
from tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from core.runtime import Runtime

JOB_ROWS = 5000
BADGE_EVENTS = (ev.ConnectionStatus, ev.NewCallUpdateAvailable, ev.CallUpdateDismissed)
BANNER_EVENTS = (ev.ConnectionStatus, ev.VoiceState)


class MainScreen(Screen):
    BINDINGS = MAIN_BINDINGS

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="main")
        self.runtime = runtime

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Transcript(id="transcript")
                yield Prompt(placeholder="Type to the assistant, Enter to send", id="prompt")
            with Vertical(id="right"):
                yield JobTable(id="jobs")
                yield DisplayPane("", id="display")
                if self.runtime.sims is not None:
                    yield SimPanel(self.runtime.sims, id="sim-panel")
        with Horizontal(id="status-bar"):
            yield ConnectionBanner(id="banner")
            yield AudioIndicator("", id="audio")
            yield UpdateBadges(id="badges")
        yield Footer()

    # --- seeding and events ---------------------------------------------

    def on_mount(self) -> None:
        self.seed(self.runtime.state.snapshot(jobs_limit=JOB_ROWS))
        # a new operator types to the assistant first; Escape moves to the jobs
        self.query_one("#prompt", Input).focus()

    def seed(self, snap: dict[str, Any]) -> None:
        table = self.query_one(JobTable)
        table.today = self.runtime.clock.now()
        table.seed(snap["jobs"])
        self.query_one(Transcript).seed(snap["transcript"])
        self.query_one(DisplayPane).show(snap["display"])
        self.query_one(ConnectionBanner).show_state(snap["connection"], snap["voice_state"])
        self.query_one(AudioIndicator).show_audio(snap["audio"])
        self.query_one(UpdateBadges).show_updates(snap["updates"])

    def apply(self, event: ev.Event) -> None:
        """Route one bus event to the widgets it changes."""
        state = self.runtime.state
        if isinstance(event, ev.CallJobUpdated) and "id" in event.job:
            self.query_one(JobTable).upsert(event.job)
            badges = self.query_one(UpdateBadges)
            if event.job.get("overall_status") in FINISHED or event.job["id"] in badges.job_ids:
                badges.show_updates(state.updates())
        elif isinstance(event, ev.TranscriptDelta):
            self.query_one(Transcript).add_delta(event.item_id, event.delta)
        elif isinstance(event, ev.TranscriptTurn):
            if event.role not in ("tool_call", "tool_result"):  # tool traffic comes as ToolCalled
                self.query_one(Transcript).add_turn(
                    {"role": event.role, "text": event.text, "turn_id": event.turn_id})
        elif isinstance(event, ev.ToolCalled):
            self.query_one(Transcript).add_tool_call(event.name, event.arguments, event.result)
        elif isinstance(event, ev.AudioState):
            self.query_one(AudioIndicator).show_audio(state.audio)
        elif isinstance(event, ev.Display):
            self.query_one(DisplayPane).show(
                {"kind": event.kind, "title": event.title, "content": event.content})
        if isinstance(event, BANNER_EVENTS):
            self.query_one(ConnectionBanner).show_state(state.connection, state.voice_state)
        if isinstance(event, BADGE_EVENTS):
            self.query_one(UpdateBadges).show_updates(state.updates())

    # --- input ------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "prompt":
            return
        # the prompt cleared itself on Enter; the voice worker logs and publishes the turn
        self.runtime.actions.send_text(event.value)

    def on_job_table_row_selected(self, event: JobTable.RowSelected) -> None:
        event.stop()
        self.action_job_detail()

    # --- actions (bound in tui/bindings.py) ----------------------------------

    def selected_job(self) -> int | None:
        return self.query_one(JobTable).selected_job_id()

    def action_schedule_call(self) -> None:
        from tui.screens.schedule import ScheduleCallScreen

        self.app.push_screen(ScheduleCallScreen(self.runtime))

    def action_dismiss_badge(self) -> None:
        badges = self.query_one(UpdateBadges)
        job_id = badges.focused_job_id()
        if job_id is None:
            job_id = badges.job_ids[0] if badges.job_ids else None
        if job_id is None:
            self.notify("No update to dismiss.")
            return
        self.runtime.actions.dismiss_update(job_id)

    def action_dismiss_all(self) -> None:
        self.runtime.actions.dismiss_all_updates()

    def action_share_updates(self) -> None:
        if self._need_assistant():
            self.runtime.actions.share_updates()

    def action_cancel_job(self) -> None:
        job_id = self.selected_job()
        if job_id is not None:
            self.runtime.actions.cancel_job(job_id)

    def action_retry_now(self) -> None:
        job_id = self.selected_job()
        if job_id is not None:
            self.runtime.actions.retry_now(job_id)

    def action_job_detail(self) -> None:
        from tui.screens.job_detail import JobDetailScreen

        job_id = self.selected_job()
        if job_id is not None:
            self.app.push_screen(JobDetailScreen(self.runtime, job_id))

    def action_do_not_call_list(self) -> None:
        from tui.screens.do_not_call import DoNotCallScreen

        self.app.push_screen(DoNotCallScreen(self.runtime))

    def action_toggle_mute(self) -> None:
        if self._need_assistant():
            self.runtime.actions.set_muted(not self.runtime.state.audio.get("muted"))

    def action_toggle_text_mode(self) -> None:
        if self._need_assistant():
            self.runtime.actions.set_text_mode(self.runtime.state.audio.get("mode") == "voice")

    def action_load_earlier(self) -> None:
        count = self.query_one(Transcript).load_earlier(self.runtime.conversation.get_turns_before)
        self.notify(f"Loaded {count} earlier turns." if count else "No earlier turns.")

    def action_focus_input(self) -> None:
        self.query_one("#prompt", Input).focus()

    def action_focus_jobs(self) -> None:
        self.query_one(JobTable).focus()

    def _need_assistant(self) -> bool:
        if self.runtime.actions.assistant is None:
            self.notify("The assistant is not running.", severity="warning")
            return False
        return True
