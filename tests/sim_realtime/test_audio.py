"""Server VAD on appended PCM16: speech start/stop, commit, the user's
transcript arriving after the answer started, and barge-in."""
from __future__ import annotations

import base64

from .conftest import configure, pcm, types

TRANSCRIPTION = {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}}


def _append(client, audio: bytes) -> None:
    for off in range(0, len(audio), 960):  # 20 ms chunks, as the product sends
        client.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(audio[off:off + 960]).decode()})


def _speak(client, speech_ms: int = 500, before_ms: int = 400, after_ms: int = 700) -> None:
    _append(client, pcm(before_ms) + pcm(speech_ms, amplitude=8000) + pcm(after_ms))


def test_vad_turn_with_late_transcript_and_function_call(server, connect):
    server.sim.next_transcripts.append("Please call Akhil about the pallet count.")
    client = connect()
    configure(client, audio=TRANSCRIPTION)
    _speak(client)
    events = client.until("response.done")
    names = types(events)
    assert names[:5] == ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                         "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"]
    started, stopped, committed, added = events[:4]
    assert started["audio_start_ms"] == 100  # 400 ms in, minus 300 ms prefix padding
    assert stopped["audio_end_ms"] == 900
    assert started["item_id"] == stopped["item_id"] == committed["item_id"] == added["item"]["id"]
    assert committed["previous_item_id"] is None
    assert added["item"]["role"] == "user" and added["item"]["content"] == [
        {"type": "input_audio", "transcript": None}]
    # The user's transcript completes only after the answer has started.
    completed = names.index("conversation.item.input_audio_transcription.completed")
    assert names.index("response.created") < names.index("conversation.item.input_audio_transcription.delta")
    assert names.index("response.created") < completed < names.index("response.done")
    assert events[completed]["transcript"] == "Please call Akhil about the pallet count."
    assert events[completed]["item_id"] == committed["item_id"]
    call = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert call["name"] == "schedule_outbound_call"
    assert '"contact_name": "Akhil Rao"' in call["arguments"]


def test_silence_duration_from_session_and_default_transcript(server, connect):
    client = connect()
    configure(client, audio={"input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 200}}})
    _speak(client, speech_ms=300, before_ms=0, after_ms=250)
    events = client.until("response.done")
    stopped = next(e for e in events if e["type"] == "input_audio_buffer.speech_stopped")
    assert stopped["audio_end_ms"] == 300
    assert "conversation.item.input_audio_transcription.completed" not in types(events)  # transcription off
    answer = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    assert "Hello" in answer  # the sim heard its default "Hello."


def test_quiet_audio_is_not_speech(connect):
    client = connect()
    _append(client, pcm(1000, amplitude=300))
    client.send({"type": "input_audio_buffer.commit"})
    events = client.until("conversation.item.done")
    assert types(events) == ["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"]


def test_manual_commit_without_vad_does_not_answer(server, connect):
    server.sim.next_transcripts.append("Just a note.")
    client = connect()
    configure(client, audio={"input": {"turn_detection": None, **TRANSCRIPTION["input"]}})
    _speak(client)
    client.send({"type": "input_audio_buffer.commit"})
    events = client.until("conversation.item.input_audio_transcription.completed")
    assert types(events) == ["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done",
                             "conversation.item.input_audio_transcription.delta",
                             "conversation.item.input_audio_transcription.completed"]
    client.send({"type": "input_audio_buffer.clear"})
    assert client.recv()["type"] == "input_audio_buffer.cleared"


def test_speech_during_a_response_cancels_it(connect):
    client = connect()
    client.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "say " + "talk " * 1000}]}})
    client.send({"type": "response.create"})
    client.until("response.output_audio.delta")
    _append(client, pcm(200, amplitude=8000))
    events = client.until("response.done")
    assert "input_audio_buffer.speech_started" in types(events)
    assert events[-1]["response"]["status_details"] == {"type": "cancelled", "reason": "turn_detected"}


def test_silence_is_not_hoarded_while_nobody_speaks(connect):
    client = connect()
    configure(client, audio=TRANSCRIPTION)
    _append(client, pcm(5000))
    client.send({"type": "input_audio_buffer.commit"})
    completed = client.until("conversation.item.input_audio_transcription.completed")[-1]
    # Only the last prefix padding (+100 ms) was kept, not five seconds.
    assert completed["usage"]["input_tokens"] <= 8  # tokens = ms // 100; 5 s would be 50


def test_transcription_failure_switch(server, connect):
    server.sim.fail_transcriptions = 1
    server.sim.next_transcripts.append("list calls")
    client = connect()
    configure(client, audio=TRANSCRIPTION)
    _speak(client)
    events = client.until("response.done")
    failed = next(e for e in events if e["type"] == "conversation.item.input_audio_transcription.failed")
    assert failed["error"]["code"] == "audio_unintelligible"
    assert "conversation.item.input_audio_transcription.completed" not in types(events)
    # The model still understood the turn.
    assert next(e for e in events if e["type"] == "response.function_call_arguments.done")["name"] == \
        "list_scheduled_calls"
    assert server.sim.fail_transcriptions == 0
