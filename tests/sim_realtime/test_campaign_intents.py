"""The simulator's model calls the campaign tools from what an operator says."""
from __future__ import annotations

import json

from sim.realtime import model

TOOLS = {"schedule_outbound_call", "check_scheduled_call_status", "cancel_scheduled_call", "list_scheduled_calls",
         "show_on_screen", "campaign_status", "pause_campaign", "resume_campaign", "cancel_campaign"}


def user(text: str) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def called(name: str, args: dict, call_id: str = "c1") -> dict:
    return {"type": "function_call", "name": name, "arguments": json.dumps(args), "call_id": call_id}


def test_how_is_it_going_then_pause_it():
    items = [user("How is the December invoices campaign going?")]
    (out,) = model.reply("", items, TOOLS).outputs
    assert out == model.Call("campaign_status", {"campaign_name": "December invoices"})
    items += [called("campaign_status", {"campaign_name": "December invoices"}),
              {"type": "function_call_output", "call_id": "c1",
               "output": "Campaign December invoices: active, 120/300 done, success 85%, cost $12.30."}]
    (said,) = model.reply("", items, TOOLS).outputs
    assert said == model.Say("Campaign December invoices: active, 120/300 done, success 85%, cost $12.30.")
    items += [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": said.text}]},
              user("Pause it.")]
    (out,) = model.reply("", items, TOOLS).outputs
    assert out == model.Call("pause_campaign", {"campaign_name": "December invoices"})


def test_campaign_words_and_what_is_not_a_campaign():
    def first(text: str, items: list[dict] | None = None):
        return model.reply("", [*(items or []), user(text)], TOOLS).outputs[0]

    assert first("how are my campaigns doing?") == model.Call("campaign_status", {})
    assert first("resume campaign December invoices") == model.Call("resume_campaign",
                                                                    {"campaign_name": "December invoices"})
    assert first("please cancel the supplier check campaign") == model.Call("cancel_campaign",
                                                                            {"campaign_name": "supplier check"})
    assert first("pause it") == model.Call("pause_campaign", {})  # the tool knows the one running
    # "cancel it" is a campaign only once one was talked about; a call's cancel stays the call's
    assert not isinstance(first("cancel it"), model.Call) or first("cancel it").name != "cancel_campaign"
    assert first("cancel the call to Akhil").name == "cancel_scheduled_call"
    earlier = [called("campaign_status", {"campaign_name": "Dec"})]
    assert first("cancel it", earlier) == model.Call("cancel_campaign", {"campaign_name": "Dec"})
    assert first("continue", earlier) == model.Call("resume_campaign", {"campaign_name": "Dec"})


def test_a_failed_campaign_tool_is_relayed():
    items = [user("pause it"), called("pause_campaign", {}),
             {"type": "function_call_output", "call_id": "c1",
              "output": "pause_campaign failed: Campaign 'Dec' is already paused."}]
    (said,) = model.reply("", items, TOOLS).outputs
    assert said == model.Say("I couldn't pause that campaign: campaign 'Dec' is already paused.")
