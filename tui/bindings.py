"""Every key binding of the console, each with an id so `[keys]` in
config.toml can remap it (binding id -> key, e.g. ``schedule_call = "n"``).
A binding's tooltip is its command-palette title: one list for both."""
from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    # q works away from the prompt; ctrl+c everywhere, so the footer shows that one
    Binding("q", "quit", "Quit", show=False, id="quit", tooltip="Quit"),
    Binding("ctrl+c", "quit", "Quit", priority=True, id="quit_ctrl_c", tooltip="Quit"),
    Binding("question_mark", "help", "Help", key_display="?", id="help", tooltip="Help: keys and the mirror link"),
]

MAIN_BINDINGS = [
    Binding("n", "schedule_call", "Schedule", id="schedule_call", tooltip="Schedule a call"),
    Binding("o", "job_detail", "Detail", id="job_detail",
            tooltip="Open job detail: objective, attempts, transcripts, cost"),
    Binding("c", "cancel_job", "Cancel job", id="cancel_job", tooltip="Cancel the selected job"),
    Binding("h", "hang_up", "Hang up", show=False, id="hang_up",
            tooltip="Hang up the selected job's live call (the job goes on: it may be called again)"),
    Binding("r", "retry_now", "Retry now", id="retry_now", tooltip="Retry the selected job now"),
    Binding("R", "reschedule", "Reschedule", key_display="R", id="reschedule",
            tooltip="Reschedule the selected job at a chosen time"),
    Binding("E", "edit_objective", "Edit", key_display="E", id="edit_objective",
            tooltip="Edit the objective of the selected job (before it is dialled)"),
    Binding("slash", "filter_jobs", "Filter", key_display="/", id="filter_jobs",
            tooltip="Search and filter the job table"),
    Binding("s", "sort_jobs", "Sort", id="sort_jobs", tooltip="Sort the job table (cycles the orders)"),
    Binding("B", "focus_badges", "Updates", key_display="B", id="focus_badges", tooltip="Go to the update badges"),
    Binding("C", "campaigns", "Campaigns", key_display="C", show=False, id="campaigns",
            tooltip="Campaigns: progress of every call list, import a list"),
    Binding("b", "do_not_call_list", "Do-not-call list", show=False, id="do_not_call_list",
            tooltip="Do-not-call list: numbers never dialled, and why"),
    Binding("d", "dismiss_badge", "Dismiss", id="dismiss_badge", tooltip="Dismiss the focused (or first) update badge"),
    Binding("D", "dismiss_all", "Dismiss all", key_display="D", id="dismiss_all",
            tooltip="Dismiss all update badges"),
    Binding("u", "share_updates", "Tell me", id="share_updates",
            tooltip="Have the assistant tell me the finished calls now"),
    Binding("m", "toggle_mute", "Mute", id="toggle_mute", tooltip="Mute / unmute the microphone"),
    Binding("t", "toggle_text_mode", "Text/voice", id="toggle_text_mode", tooltip="Toggle text / voice"),
    Binding("e", "load_earlier", "Earlier", id="load_earlier", tooltip="Load earlier transcript"),
    Binding("y", "copy_mirror_link", "Copy link", id="copy_mirror_link",
            tooltip="Copy the browser mirror's link (with its token)"),
    Binding("i", "focus_input", "Type", id="focus_input", tooltip="Type to the assistant"),
    Binding("escape", "focus_jobs", "Jobs", id="focus_jobs", tooltip="Go to the job table"),
]

DETAIL_BINDINGS = [
    Binding("escape", "close", "Back", id="close_detail"),
]

DO_NOT_CALL_BINDINGS = [
    Binding("a", "add", "Add a number", id="add_do_not_call"),
    Binding("x", "remove", "Remove (press twice)", id="remove_do_not_call"),
    Binding("escape", "close", "Back", id="close_do_not_call"),
]

# on the campaigns list (the selected campaign) and on one campaign's page alike
CAMPAIGN_ACTIONS = [
    Binding("p", "pause_campaign", "Pause", id="pause_campaign",
            tooltip="Pause the campaign: no new call starts, calls in progress finish"),
    Binding("r", "resume_campaign", "Resume", id="resume_campaign", tooltip="Resume the paused campaign"),
    Binding("x", "cancel_campaign", "Cancel", id="cancel_campaign",
            tooltip="Cancel the campaign's unfinished calls (asks first)"),
    Binding("e", "export_campaign", "Export", id="export_campaign",
            tooltip="Export the campaign, one row per callee, to a CSV file"),
]

CAMPAIGNS_BINDINGS = [
    Binding("o", "open_campaign", "Open", id="open_campaign",
            tooltip="Open the campaign: its jobs, filtered, searched, sorted; its outcomes"),
    *CAMPAIGN_ACTIONS,
    Binding("i", "import_campaign", "Import", id="import_campaign",
            tooltip="Import a call list (CSV) into a campaign: check it, then confirm"),
    Binding("escape", "close", "Back", id="close_campaigns"),
]

CAMPAIGN_BINDINGS = [
    Binding("slash", "search_jobs", "Search", key_display="/", id="search_campaign_jobs",
            tooltip="Search the campaign's jobs by name or number"),
    Binding("f", "filter_status", "Status", id="filter_campaign_jobs",
            tooltip="Show the campaign's jobs of one status (cycles)"),
    Binding("s", "sort_jobs", "Sort", id="sort_campaign_jobs", tooltip="Sort the campaign's jobs (cycles)"),
    Binding("o", "job_detail", "Detail", id="campaign_job_detail", tooltip="Open the selected job's detail"),
    *CAMPAIGN_ACTIONS,
    Binding("escape", "close", "Back", id="close_campaign"),
]

MODAL_BINDINGS = [
    Binding("escape", "cancel", "Cancel", id="close_modal"),
]

CONFIRM_BINDINGS = MODAL_BINDINGS + [
    Binding("y", "answer(True)", "Yes", id="confirm_yes"),
    Binding("n", "answer(False)", "No", id="confirm_no"),
]

# bindings active together on one screen: a key may mean one thing in each
SCOPES = {
    "main screen": APP_BINDINGS + MAIN_BINDINGS,
    "job detail": APP_BINDINGS + DETAIL_BINDINGS,
    "do-not-call list": APP_BINDINGS + DO_NOT_CALL_BINDINGS,
    "campaigns": APP_BINDINGS + CAMPAIGNS_BINDINGS,
    "campaign": APP_BINDINGS + CAMPAIGN_BINDINGS,
    "dialogs": APP_BINDINGS + MODAL_BINDINGS,
    "questions": APP_BINDINGS + CONFIRM_BINDINGS,
}


def all_binding_ids() -> set[str]:
    return {b.id for bindings in SCOPES.values() for b in bindings if b.id}


def key_of(binding: Binding, keymap: dict[str, str]) -> str:
    return keymap.get(binding.id or "", binding.key)


def key_conflicts(keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, binding id, other binding id) for every key that two bindings
    of one screen would share once ``keymap`` is applied."""
    found: list[tuple[str, str, str]] = []
    for bindings in SCOPES.values():
        owner: dict[str, str] = {}
        for binding in bindings:
            for key in key_of(binding, keymap).split(","):
                key = key.strip()
                other = owner.setdefault(key, binding.id or "")
                if other != binding.id and binding.action != next(
                        b.action for b in bindings if b.id == other):
                    conflict = (key, *sorted((other, binding.id or "")))
                    if conflict not in found:
                        found.append(conflict)  # type: ignore[arg-type]
    return found


def usable_keymap(keymap: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The remaps that can be applied, and a sentence for each one refused
    (an unknown binding id, or a key another binding already has)."""
    known = all_binding_ids()
    problems = [f"[keys] {name}: no such binding" for name in sorted(set(keymap) - known)]
    usable = {name: key for name, key in keymap.items() if name in known}
    for key, first, second in key_conflicts(usable):
        refused = [name for name in (first, second) if name in usable]
        for name in refused:
            usable.pop(name, None)
        problems.append(f"[keys] {' and '.join(refused)}: {key!r} would be both {first} and {second};"
                        f" kept the default key{'s' if len(refused) > 1 else ''}")
    return usable, problems
