"""Every key binding of the console, each with an id so `[keys]` in
config.toml can remap it (binding id -> key, e.g. ``schedule_call = "n"``)."""
from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    # q works away from the prompt; ctrl+c everywhere, so the footer shows that one
    Binding("q", "quit", "Quit", show=False, id="quit"),
    Binding("ctrl+c", "quit", "Quit", priority=True, id="quit_ctrl_c"),
    Binding("question_mark", "help", "Help", key_display="?", id="help"),
]

MAIN_BINDINGS = [
    Binding("n", "schedule_call", "Schedule", id="schedule_call"),
    Binding("d", "dismiss_badge", "Dismiss", id="dismiss_badge"),
    Binding("D", "dismiss_all", "Dismiss all", key_display="D", id="dismiss_all"),
    Binding("u", "share_updates", "Tell me", id="share_updates"),
    Binding("c", "cancel_job", "Cancel job", id="cancel_job"),
    Binding("r", "retry_now", "Retry now", id="retry_now"),
    Binding("o", "job_detail", "Detail", id="job_detail"),
    Binding("b", "do_not_call_list", "Do-not-call list", show=False, id="do_not_call_list"),
    Binding("m", "toggle_mute", "Mute", id="toggle_mute"),
    Binding("t", "toggle_text_mode", "Text/voice", id="toggle_text_mode"),
    Binding("e", "load_earlier", "Earlier", id="load_earlier"),
    Binding("i", "focus_input", "Type", id="focus_input"),
    Binding("escape", "focus_jobs", "Jobs", id="focus_jobs"),
]

DETAIL_BINDINGS = [
    Binding("escape", "close", "Back", id="close_detail"),
]

DO_NOT_CALL_BINDINGS = [
    Binding("a", "add", "Add a number", id="add_do_not_call"),
    Binding("x", "remove", "Remove (press twice)", id="remove_do_not_call"),
    Binding("escape", "close", "Back", id="close_do_not_call"),
]

MODAL_BINDINGS = [
    Binding("escape", "cancel", "Cancel", id="close_modal"),
]


def all_binding_ids() -> set[str]:
    return {b.id for b in APP_BINDINGS + MAIN_BINDINGS + DETAIL_BINDINGS + DO_NOT_CALL_BINDINGS + MODAL_BINDINGS
            if b.id}
