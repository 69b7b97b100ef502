"""The rule-based model: pure functions, no sockets."""
from __future__ import annotations

import json

import pytest

from sim.realtime import instructions, intents, model, paraphrase
from sim.realtime.intents import Call, Say

INSTRUCTIONS = """Be brief.

## Contact directory
- Akhil Rao (Operations): +12025550101 [America/New_York] — warehouse lead
- Priya (Finance): +14155550123 [America/Los_Angeles] — invoices
- Dr. Chen (Clinic Front Desk): +442071838750

## Conversation so far
The user asked about stock.

## Pending call updates
- [job 12] Akhil Rao (Operations), COMPLETED_SUCCESS: Akhil confirmed 40 pallets arrive Tuesday.
- [job 15] Priya (Finance), GAVE_UP: Nobody answered after three tries
"""
TOOLS = {"schedule_outbound_call", "check_scheduled_call_status", "cancel_scheduled_call",
         "list_scheduled_calls", "show_on_screen"}


def user(text: str) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def ask(text: str) -> list:
    return intents.answer(text, instructions.parse_directory(INSTRUCTIONS), TOOLS, instructions.parse_pending(INSTRUCTIONS))


def test_parses_directory_and_pending_updates():
    contacts = instructions.parse_directory(INSTRUCTIONS)
    assert contacts[0] == instructions.Contact("Akhil Rao", "Operations", "+12025550101", "America/New_York",
                                        "warehouse lead")
    assert contacts[2].phone == "+442071838750" and contacts[2].tz == ""
    pending = instructions.parse_pending(INSTRUCTIONS)
    assert [(p.job, p.name, p.status) for p in pending] == [(12, "Akhil Rao", "COMPLETED_SUCCESS"),
                                                           (15, "Priya", "GAVE_UP")]


@pytest.mark.parametrize("text, expected", [
    ("Call Akhil about the pallet count.",
     {"phone_number": "+12025550101", "contact_name": "Akhil Rao", "call_objective": "the pallet count"}),
    ("please call priya in finance about the March invoice",
     {"phone_number": "+14155550123", "contact_name": "Priya", "call_objective": "the March invoice"}),
    ("Can you ring someone in operations to confirm Tuesday's delivery?",
     {"phone_number": "+12025550101", "contact_name": "Akhil Rao", "call_objective": "confirm Tuesday's delivery"}),
    ("Phone the clinic front desk about moving my appointment",
     {"phone_number": "+442071838750", "contact_name": "Dr. Chen", "call_objective": "moving my appointment"}),
    ("Call Bob at +1 (202) 555-0199 about the van rental",
     {"phone_number": "+12025550199", "contact_name": "Bob", "call_objective": "the van rental"}),
    ("Schedule a call with Priya about the overdue invoice",
     {"phone_number": "+14155550123", "contact_name": "Priya", "call_objective": "the overdue invoice"}),
    ("could you set up a phone call to Akhil to check the forklift?",
     {"phone_number": "+12025550101", "contact_name": "Akhil Rao", "call_objective": "check the forklift"}),
    ("call Akhil back about the pallets",
     {"phone_number": "+12025550101", "contact_name": "Akhil Rao", "call_objective": "the pallets"}),
    ("call 202-555-0142 regarding the refund please",
     {"phone_number": "+12025550142", "contact_name": "+12025550142", "call_objective": "the refund"}),
])
def test_call_requests_become_schedule_outbound_call(text, expected):
    assert ask(text) == [Call("schedule_outbound_call", expected)]


def test_unknown_contact_without_number_gets_a_question():
    [out] = ask("call Zed about lunch")
    assert out == Say("I don't have a number for Zed. What number should I call?")


@pytest.mark.parametrize("text", ["call", "please call", "call about", "ring +"])
def test_call_without_anyone_asks_who(text):
    assert ask(text) == [Say("Who should I call, and what about?")]


def test_call_without_objective_asks_what_about():
    assert ask("call Priya") == [Say("What should the call to Priya be about?")]


@pytest.mark.parametrize("text, args", [
    ("What's the status of the call to Akhil?", {"contact_name": "Akhil Rao"}),
    ("what happened with Priya", {"contact_name": "Priya"}),
    ("Any updates?", {}),
    ("any update for me?", {}),
    ("Can you check the status of my call with Akhil?", {"contact_name": "Akhil Rao"}),
    ("how did the call with finance go", {"contact_name": "Priya"}),
])
def test_status_questions(text, args):
    assert ask(text) == [Call("check_scheduled_call_status", args)]


@pytest.mark.parametrize("text, args", [
    ("Cancel the call to Akhil", {"contact_name": "Akhil Rao"}),
    ("please cancel Priya's call", {"contact_name": "Priya"}),
    ("cancel my calls", {}),
])
def test_cancel_requests(text, args):
    assert ask(text) == [Call("cancel_scheduled_call", args)]


@pytest.mark.parametrize("text", ["list calls", "What calls are scheduled?", "which calls do I have"])
def test_list_requests(text):
    assert ask(text) == [Call("list_scheduled_calls", {})]


def test_show_on_screen_markdown():
    [call] = ask("Show my contacts")
    assert call.name == "show_on_screen"
    assert call.arguments["kind"] == "markdown" and call.arguments["title"] == "My contacts"
    assert "| Akhil Rao | Operations | +12025550101 |" in call.arguments["content"]
    [chart] = ask("chart the call updates")
    assert chart.name == "show_on_screen" and "Akhil confirmed 40 pallets" in chart.arguments["content"]


def test_tool_missing_or_tool_choice_none_means_words():
    reply = model.reply(INSTRUCTIONS, [user("call Akhil about stock")], set(), frozenset({12, 15}))
    assert reply.outputs == (Say("I can't place calls right now."),)
    reply = model.reply(INSTRUCTIONS, [user("call Akhil about stock")], TOOLS, frozenset({12, 15}), "none")
    assert reply.outputs == (Say("I can't place calls right now."),)


def test_pending_updates_are_said_only_when_a_response_asks_for_them():
    first = model.reply(INSTRUCTIONS, [user("Call Priya about the invoice")], TOOLS)
    assert first.outputs == (Call("schedule_outbound_call", {
        "phone_number": "+14155550123", "contact_name": "Priya", "call_objective": "the invoice"}),)
    deliver = INSTRUCTIONS + "\n## Tell the user now\nTell these now: job 12 (Akhil Rao).\n"
    told = model.reply(deliver, [user("Hi")], TOOLS)
    assert told.outputs == (Say("Update on your call to Akhil Rao: Akhil confirmed 40 pallets arrive Tuesday."),)
    assert told.mentioned == {12}
    both = model.reply(INSTRUCTIONS + "\n## Tell the user now\njob 12, job 15\n", [], TOOLS)
    assert both.outputs == (Say("Update on your call to Akhil Rao: Akhil confirmed 40 pallets arrive Tuesday. "
                                "Update on your call to Priya: Nobody answered after three tries."),)


def test_say_exactly_says_only_that():
    reply = model.reply("Say it.\n\n## Say exactly\nStill working on that, one moment.\n", [user("Hi")], TOOLS)
    assert reply.outputs == (Say("Still working on that, one moment."),)


def tool_round(request: str, name: str, arguments: dict, output: str) -> list[dict]:
    return [user(request),
            {"type": "function_call", "call_id": "c1", "name": name, "arguments": json.dumps(arguments)},
            {"type": "function_call_output", "call_id": "c1", "output": output}]


def test_function_output_is_paraphrased_in_full_for_the_user():
    items = tool_round("call Akhil about x", "schedule_outbound_call", {},
                       json.dumps({"ok": True, "message": "Call to Akhil Rao scheduled as job 3. It starts now."}))
    assert model.reply(INSTRUCTIONS, items, TOOLS).outputs == (
        Say("Call to Akhil Rao scheduled as job 3. It starts now."),)
    assert paraphrase.paraphrase_output(json.dumps({"calls": [{"contact_name": "Akhil"}, {"contact_name": "Priya"}]})) \
        == "There are 2 scheduled calls: Akhil, Priya."
    assert paraphrase.paraphrase_output("[]") == "There are no scheduled calls."
    assert paraphrase.paraphrase_output(json.dumps({"ok": True})) == "Done."
    assert paraphrase.paraphrase_output('Scheduled job 3: a call to Akhil (+12025550101) to "the invoice". '
                                   "It is queued; the outcome will follow when it ends.") == (
        "I've scheduled a call to Akhil about the invoice; I'll let you know how it goes.")
    long_list = "Scheduled calls, newest first:\n" + "\n".join(
        f'- job {n} (Akhil, "the March invoice and the pallet count for the {n}th delivery", COMPLETED_SUCCESS)'
        for n in range(1, 5))
    said = paraphrase.paraphrase_output(long_list)
    assert said.startswith("You have 4 calls: Akhil about the March invoice") and "4th delivery (done)." in said
    assert "..." not in said


def test_tool_errors_are_relayed_as_words_not_read_raw():
    said = paraphrase.paraphrase_output(
        "schedule_outbound_call failed: No contact named 'Zed' in the directory (known: Akhil (Operations), "
        "Priya (Finance)). Ask the user for the phone number, or use a directory name.")
    assert said == "I couldn't schedule that call: no contact named 'Zed' in the directory. What number should I call?"
    assert paraphrase.paraphrase_output(
        "schedule_outbound_call failed: 112 is an emergency number; Switchboard never calls emergency services."
    ) == "I couldn't schedule that call: 112 is an emergency number; Switchboard never calls emergency services."
    assert paraphrase.paraphrase_output("list_scheduled_calls failed because of an internal error; tell the user it "
                                   "could not be done right now.") == (
        "Sorry, I couldn't do that right now. Please try again in a moment.")
    told = paraphrase.paraphrase_output('Job 3, the call to Akhil to "the invoice", has finished (COMPLETED_SUCCESS): '
                                   "Akhil paid. On Monday. Tell the user this outcome now.")
    assert told == "Your call to Akhil about the invoice is done: Akhil paid. On Monday."


def test_short_numbers_go_to_the_scheduling_tool_which_decides():
    assert ask("call 112 about a fire") == [Call("schedule_outbound_call", {
        "phone_number": "112", "contact_name": "112", "call_objective": "a fire"})]


@pytest.mark.parametrize("text", ["any updates on my calls?", "Any news on the calls?", "what's the status of my calls"])
def test_my_calls_is_not_a_name(text):
    assert ask(text) == [Call("check_scheduled_call_status", {})]


def test_a_table_of_the_calls_comes_from_the_list():
    assert ask("show me a table of today's calls") == [Call("list_scheduled_calls", {})]
    listed = 'Scheduled calls, newest first:\n- job 2 (Priya, "the invoice", PROCESSING)\n- job 1 (Akhil, "stock", COMPLETED_SUCCESS)'
    items = tool_round("show me a table of today's calls", "list_scheduled_calls", {}, listed)
    [call] = model.reply(INSTRUCTIONS, items, TOOLS).outputs
    assert call.name == "show_on_screen" and call.arguments["kind"] == "table"
    assert call.arguments["title"] == "Today's calls"
    assert json.loads(call.arguments["content"]) == {"columns": ["Job", "Contact", "Objective", "Status"], "rows": [
        [2, "Priya", "the invoice", "in progress"], [1, "Akhil", "stock", "done"]]}


def test_yes_to_call_again_repeats_the_call_with_call_again():
    args = {"phone_number": "+12025550101", "contact_name": "Akhil Rao", "call_objective": "stock"}
    items = tool_round("call Akhil about stock", "schedule_outbound_call", args,
                       "I called Akhil Rao about this 3 minutes ago — call again? Last time (job 1, COMPLETED_SUCCESS): ok. "
                       "If the user says yes, call schedule_outbound_call again with call_again=true.")
    assert model.reply(INSTRUCTIONS, items, TOOLS).outputs == (
        Say("I called Akhil Rao about this 3 minutes ago — call again? Last time (job 1, COMPLETED_SUCCESS): ok."),)
    items += [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "call again?"}]},
              user("yes please")]
    assert model.reply(INSTRUCTIONS, items, TOOLS).outputs == (
        Call("schedule_outbound_call", dict(args, call_again=True)),)


def test_audio_items_are_heard_through_their_transcript():
    items = [{"type": "message", "role": "user", "content": [{"type": "input_audio", "transcript": "list calls"}]}]
    assert model.reply("", items, TOOLS).outputs == (Call("list_scheduled_calls", {}),)


def test_fallback_echoes_and_greeting():
    assert ask("The weather is nice") == [
        Say('You said: "The weather is nice". I can call your contacts, check on calls, or cancel them.')]
    assert model.reply("", [], TOOLS).outputs == (Say("Hello! How can I help you today?"),)
    assert ask("repeat after me: exactly this, please.") == [Say("exactly this, please.")]


def test_deterministic():
    items = [user("Call Akhil about the pallet count.")]
    assert model.reply(INSTRUCTIONS, items, TOOLS) == model.reply(INSTRUCTIONS, items, TOOLS)


def test_two_requests_before_one_response_are_both_answered():
    items = [user("call Akhil about the invoice"), user("call Priya in Finance about the Q3 budget")]
    out = model.reply(INSTRUCTIONS, items, TOOLS).outputs
    calls = [o for o in out if isinstance(o, Call)]
    assert [c.arguments["contact_name"] for c in calls] == ["Akhil Rao", "Priya"]  # names as in the directory


def test_every_result_of_one_response_is_answered_once():
    items = [user("call Akhil about stock"), user("list my calls"),
             {"type": "function_call", "call_id": "c1", "name": "schedule_outbound_call", "arguments": "{}"},
             {"type": "function_call", "call_id": "c2", "name": "list_scheduled_calls", "arguments": "{}"},
             {"type": "function_call_output", "call_id": "c1",
              "output": 'Scheduled job 1: a call to Akhil (+12025550101) to "stock". It is queued.'},
             {"type": "function_call_output", "call_id": "c2",
              "output": 'Scheduled calls, newest first:\n- job 1 (Akhil, "stock", PENDING)'}]
    assert model.reply(INSTRUCTIONS, items, TOOLS).outputs == (Say(
        "I've scheduled a call to Akhil about stock; I'll let you know how it goes. "
        "You have 1 call: Akhil about stock (queued)."),)
    listed = 'Scheduled calls, newest first:\n- job 1 (Akhil, "stock", PENDING)'
    table = tool_round("show me a table of my calls", "list_scheduled_calls", {}, listed)
    [show] = model.reply(INSTRUCTIONS, table, TOOLS).outputs
    table += [{"type": "function_call", "call_id": "c9", "name": show.name, "arguments": json.dumps(show.arguments)},
              {"type": "function_call_output", "call_id": "c9", "output": "Shown on the screen: My calls."}]
    assert model.reply(INSTRUCTIONS, table, TOOLS).outputs == (Say("It's on your screen now: My calls."),)
