"""The main screen: the conversation and the prompt, the job table, what the
assistant put on screen and (in simulation) the simulator panel; the
assistant's state line and the update badges below. Wide terminals put the
conversation beside the jobs; narrow ones stack them (CSS breakpoints)."""
from __future__ import annotations

import logging
from itertools import cycle
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input
from textual.worker import Worker, WorkerState

from core import events as ev
from core.actions import ASSISTANT_NOT_RUNNING
from core.records import FINISHED, Turn
from core.state import Snapshot
from core.text import visible
from tui import messages as msg
from tui.bindings import MAIN_BINDINGS
from tui.screens.job_actions import JobActions
from tui.widgets.badges import Badge, UpdateBadges
from tui.widgets.banner import AudioIndicator, ConnectionBanner
from tui.widgets.display import DisplayPane
from tui.widgets.jobs_table import SORTS, JobTable
from tui.widgets.prompt import Prompt
from tui.widgets.sim_panel import SimPanel
from tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

JOB_ROWS = 5000
DB_GROUP = "database"


class MainScreen(JobActions):
    BINDINGS = MAIN_BINDINGS
    # below 120 columns the conversation and the jobs stack instead of sitting side by side
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="main")
        self.runtime = runtime
        self._sorts = cycle(list(SORTS)[1:] + list(SORTS)[:1])

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Transcript(id="transcript")
                yield Prompt(placeholder="Type to the assistant, Enter to send", id="prompt")
            with Vertical(id="right"):
                yield Input(placeholder="Filter jobs: words in the contact, objective, status or number; "
                            "Enter keeps it, Escape clears", id="job-filter")
                yield JobTable(id="jobs", now=self.runtime.clock.now)
                yield DisplayPane("", id="display")
                if self.runtime.sims is not None:
                    yield SimPanel(self.runtime.sims, id="sim-panel")
        with Horizontal(id="status-bar"):
            yield ConnectionBanner(id="banner")
            yield AudioIndicator("", id="audio")
            yield UpdateBadges(id="badges")
        yield Footer()

    # --- the start-up snapshot and events -------------------------------

    def on_mount(self) -> None:
        self.query_one("#job-filter", Input).display = False
        self.load_snapshot(self.runtime.state.snapshot(jobs_limit=JOB_ROWS))
        # what the console loaded lives as long as it does; full collections wait for a quiet moment
        self.app.quiet_gc.start(self.app)  # type: ignore[attr-defined]
        # a new operator types to the assistant first; Escape moves to the jobs
        self.query_one("#prompt", Input).focus()
        self.call_after_refresh(self.place_notices)

    def on_resize(self) -> None:
        self.call_after_refresh(self.place_notices)

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self.place_notices)  # the terminal may have been resized under a dialog

    def place_notices(self) -> None:
        """Notices go over the conversation (read, never clicked), inside its
        border, so none hides a job row, a badge, the prompt or a simulator
        button; more than fit scroll, the newest in view."""
        inside = self.query_one(Transcript).region.shrink((1, 1, 1, 1))
        for rack in self.query("#textual-toastrack"):
            rack.styles.margin = (inside.y, 0, 0, inside.x)
            rack.styles.width = max(1, inside.width)
            rack.styles.max_height = max(1, inside.height)

    def load_snapshot(self, snap: Snapshot) -> None:
        self.query_one(JobTable).load_jobs(snap.jobs)
        self.query_one(Transcript).load_turns([{"role": t.role, "text": t.text, "turn_id": t.turn_id}
                                               for t in snap.transcript])
        self.query_one(DisplayPane).show_content(snap.display)
        self.query_one(ConnectionBanner).show_state(snap.connection, snap.voice_state)
        self.query_one(AudioIndicator).show_audio(snap.audio)
        self.query_one(UpdateBadges).show_updates(snap.updates)

    def on_job_changed(self, message: msg.JobChanged) -> None:
        self.query_one(JobTable).upsert(message.job)
        badges = self.query_one(UpdateBadges)
        if message.job.overall_status in FINISHED or message.job.id in badges.job_ids:
            badges.show_updates(self.runtime.state.updates())

    def on_conversation_changed(self, message: msg.ConversationChanged) -> None:
        event, transcript, banner = message.event, self.query_one(Transcript), self.query_one(ConnectionBanner)
        if isinstance(event, ev.TranscriptDelta):
            transcript.add_delta(event.item_id, event.delta)
            banner.show_activity(thinking=False)
        elif isinstance(event, ev.TranscriptTurn):
            if event.role in ("tool_call", "tool_result"):
                return  # tool traffic comes as ToolCalled
            transcript.add_turn({"role": event.role, "text": event.text, "turn_id": event.turn_id})
            if event.role == "user":
                banner.show_activity(sending=False, thinking=True)
            elif event.role == "assistant":
                banner.show_activity(thinking=False)
        elif isinstance(event, ev.ToolCalled):
            transcript.add_tool_call(event.name, event.arguments, event.result)

    def on_assistant_state_changed(self, message: msg.AssistantStateChanged) -> None:
        state = self.runtime.state
        self.query_one(ConnectionBanner).show_state(state.connection, state.voice_state)
        self.query_one(AudioIndicator).show_audio(state.audio)
        self.query_one(UpdateBadges).show_updates(state.updates())

    def on_updates_changed(self, message: msg.UpdatesChanged) -> None:
        self.query_one(UpdateBadges).show_updates(self.runtime.state.updates())

    def on_display_shown(self, message: msg.DisplayShown) -> None:
        self.query_one(DisplayPane).show_content(message.event)

    # --- input ------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "job-filter":
            event.stop()
            self.query_one(JobTable).focus()
            return
        if event.input.id != "prompt":
            return
        # the prompt cleared itself on Enter; the voice worker logs and publishes
        # the user's turn, and until then it is "sending…"
        if self.runtime.actions.send_text(event.value):
            self.query_one(ConnectionBanner).show_activity(sending=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "job-filter":
            self.query_one(JobTable).set_view(filter_text=event.value)

    def on_job_table_row_selected(self, event: JobTable.RowSelected) -> None:
        event.stop()
        self.open_job(event.job_id)

    def on_update_badges_changed(self, event: UpdateBadges.Changed) -> None:
        self.query_one("#status-bar").set_class(bool(event.job_ids), "-with-updates")

    def on_badge_opened(self, event: Badge.Opened) -> None:
        event.stop()
        self.open_job(event.job_id)

    # --- work off the UI thread -----------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == DB_GROUP and event.state == WorkerState.ERROR:
            error = event.worker.error
            what = event.worker.name or "that"
            log.error("%s failed", what, exc_info=error)
            self.notify(visible(f"Could not {what}: {type(error).__name__}: {error}"),
                        severity="error", timeout=15, markup=False)

    def run_in_background(self, what: str, job: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        self.run_worker(lambda: self._background(job, done), name=what, group=DB_GROUP, thread=True,
                        exit_on_error=False)

    def _background(self, job: Callable[[], Any], done: Callable[[Any], None] | None) -> None:
        result = job()
        if done is not None:
            self.app.call_from_thread(done, result)

    # --- actions (bound in tui/bindings.py) ----------------------------------

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
        self.run_in_background("dismiss the update", lambda: self.runtime.actions.dismiss_update(job_id))

    def action_dismiss_all(self) -> None:
        count = len(self.runtime.state.updates())
        if not count:
            self.notify("No update to dismiss.")
            return
        self.run_in_background("dismiss the updates", self.runtime.actions.dismiss_all_updates,
                               lambda _: self.notify(f"Dismissed {count} update{'s' if count != 1 else ''}."))

    def action_share_updates(self) -> None:
        if self._need_assistant():
            self.runtime.actions.share_updates()
            self.notify("The assistant will tell you the finished calls now.")

    def action_do_not_call_list(self) -> None:
        from tui.screens.do_not_call import DoNotCallScreen

        self.app.push_screen(DoNotCallScreen(self.runtime))

    def action_campaigns(self) -> None:
        from tui.screens.campaigns import CampaignsScreen

        self.app.push_screen(CampaignsScreen(self.runtime))

    def action_filter_jobs(self) -> None:
        box = self.query_one("#job-filter", Input)
        box.display = True
        box.focus()

    def action_sort_jobs(self) -> None:
        sort = next(self._sorts)
        self.query_one(JobTable).set_view(sort=sort)
        self.notify(f"Jobs sorted {SORTS[sort][0]}.")

    def action_focus_badges(self) -> None:
        if not self.query_one(UpdateBadges).focus_first():
            self.notify("No updates.")

    def action_toggle_mute(self) -> None:
        if not self._need_assistant():
            return
        audio = self.runtime.state.audio
        if audio.mode != "voice":
            self.notify("Text mode: there is no microphone to mute. Press t for voice.", severity="warning")
            return
        muted = not audio.muted
        self.runtime.actions.set_muted(muted)
        self.notify("Microphone muted." if muted else "Microphone on.")

    def action_toggle_text_mode(self) -> None:
        if self._need_assistant():
            to_text = self.runtime.state.audio.mode == "voice"
            self.runtime.actions.set_text_mode(to_text)
            self.notify("Switching to text." if to_text else "Switching to voice.")

    def action_load_earlier(self) -> None:
        transcript = self.query_one(Transcript)
        first = transcript.first_turn_id()
        if first is None:
            self.notify("No earlier turns.")
            return

        def done(rows: list[Turn]) -> None:
            transcript.prepend(rows)
            self.notify(f"Loaded {len(rows)} earlier turns." if rows else "No earlier turns.")

        self.run_in_background("load earlier turns",
                               lambda: self.runtime.conversation.get_turns_before(first, 100), done)

    def action_copy_mirror_link(self) -> None:
        self.app.action_copy_mirror_link()  # type: ignore[attr-defined]

    def action_focus_input(self) -> None:
        self.query_one("#prompt", Input).focus()

    def action_focus_jobs(self) -> None:
        box = self.query_one("#job-filter", Input)
        if box.has_focus:
            box.value = ""
            box.display = False
        self.query_one(JobTable).focus()

    def _need_assistant(self) -> bool:
        if self.runtime.actions.assistant is None:
            self.notify(ASSISTANT_NOT_RUNNING, severity="warning")
            return False
        return True
