"""What the server does with each (already validated) client event."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .audio import BYTES_PER_MS
from .responder import ResponseRun
from .session import Item, check_update, merge_session, new_id, transcription_enabled, turn_detection

if TYPE_CHECKING:
    from .connection import Connection

MIN_COMMIT_MS = 100
MAX_ITEM_ID = 32


class Handlers:
    """Mixed into Connection; ``self`` is the connection."""

    # --- session -----------------------------------------------------------

    async def on_session_update(self: "Connection", data: dict, ev: str | None) -> None:
        update = data["session"]
        problem = check_update(self.session, update, audio_sent=bool(self.audio_ms))
        if problem:
            code, message, param = problem
            await self.error(code, message, param=param, client_event_id=ev)
            return
        self.session = merge_session(self.session, update)
        await self.emit({"type": "session.updated", "session": self.session})

    # --- conversation items ------------------------------------------------

    async def on_conversation_item_create(self: "Connection", data: dict, ev: str | None) -> None:
        item = dict(data["item"])
        after = data.get("previous_item_id")
        if after is not None and after != "root" and self.index_of(after) < 0:
            await self.error("invalid_value", f"Previous item with id '{after}' not found.",
                             param="previous_item_id", client_event_id=ev)
            return
        item_id = item.get("id")
        if item_id is not None:
            if len(item_id) > MAX_ITEM_ID:
                await self.error(
                    "string_above_max_length",
                    f"Invalid 'item.id': string too long. Expected a string with maximum length {MAX_ITEM_ID}, "
                    f"but got a string with length {len(item_id)} instead.", param="item.id", client_event_id=ev)
                return
            if self.index_of(item_id) >= 0:
                await self.error("invalid_value", f"Item with id '{item_id}' already exists.",
                                 param="item.id", client_event_id=ev)
                return
        else:
            item["id"] = new_id("item_")
        if item["type"] == "function_call" and not item.get("call_id"):
            item["call_id"] = new_id("call_", 16)
        item["object"] = "realtime.item"
        item["status"] = "completed"
        if item["type"] == "message":
            item["content"] = [_stored_content(c) for c in item["content"]]
        prev = self.add_item(item, after)
        if item["type"] == "function_call" or (item["type"] == "message" and item.get("role") == "assistant"):
            # restored history: what came before this answer was answered
            upto = self.index_of(item["id"])
            self.answered |= {i["id"] for i in self.items[:upto] if i.get("role") == "user"}
        await self.emit({"type": "conversation.item.added", "previous_item_id": prev, "item": dict(item)})
        await self.emit({"type": "conversation.item.done", "previous_item_id": prev, "item": dict(item)})

    async def on_conversation_item_delete(self: "Connection", data: dict, ev: str | None) -> None:
        i = self.index_of(data["item_id"])
        if i < 0:
            await self.error("invalid_value", f"Item with item_id '{data['item_id']}' not found.",
                             param="item_id", client_event_id=ev)
            return
        del self.items[i]
        await self.emit({"type": "conversation.item.deleted", "item_id": data["item_id"]})

    async def on_conversation_item_retrieve(self: "Connection", data: dict, ev: str | None) -> None:
        i = self.index_of(data["item_id"])
        if i < 0:
            await self.error("invalid_value", f"Item with item_id '{data['item_id']}' not found.",
                             param="item_id", client_event_id=ev)
            return
        await self.emit({"type": "conversation.item.retrieved", "item": dict(self.items[i])})

    async def on_conversation_item_truncate(self: "Connection", data: dict, ev: str | None) -> None:
        item_id, end_ms = data["item_id"], data["audio_end_ms"]
        i = self.index_of(item_id)
        if i < 0 or self.items[i].get("role") != "assistant":
            await self.error("invalid_value", f"Assistant item with item_id '{item_id}' not found.",
                             param="item_id", client_event_id=ev)
            return
        have = self.audio_ms.get(item_id)
        if have is None or data["content_index"] != 0:
            await self.error("invalid_value", "Only audio content of an assistant message can be truncated.",
                             param="content_index", client_event_id=ev)
            return
        if end_ms < 0 or end_ms > have:
            await self.error("invalid_value", f"Audio content of {have}ms is already shorter than {end_ms}ms",
                             param="audio_end_ms", client_event_id=ev)
            return
        item = self.items[i]
        parts = [dict(p) for p in item.get("content") or []]
        for part in parts:
            if part.get("transcript"):
                keep = int(len(part["transcript"]) * end_ms / have) if have else 0
                part["transcript"] = part["transcript"][:keep]
        item["content"] = parts
        self.audio_ms[item_id] = end_ms
        await self.emit({"type": "conversation.item.truncated", "item_id": item_id,
                         "content_index": 0, "audio_end_ms": end_ms})

    # --- input audio -------------------------------------------------------

    async def on_input_audio_buffer_append(self: "Connection", data: dict, ev: str | None) -> None:
        pcm = self.decode_audio(data["audio"])
        if pcm is None:
            await self.error("invalid_value", "Invalid 'audio': expected base64-encoded PCM16 audio.",
                             param="audio", client_event_id=ev)
            return
        self.buffer.extend(pcm)
        td = turn_detection(self.session)
        if not td:
            self.vad.advance(len(pcm))
            return
        silence = int(td.get("silence_duration_ms") or 500)
        if td.get("type") == "semantic_vad":
            silence = 500
        for vad_event in self.vad.feed(pcm, float(td.get("threshold") or 0.5), silence):
            if vad_event.kind == "started":
                self.speech_item_id = new_id("item_")
                padding = int(td.get("prefix_padding_ms") or 0)
                await self.emit({"type": "input_audio_buffer.speech_started",
                                 "audio_start_ms": max(0, vad_event.ms - padding),
                                 "item_id": self.speech_item_id})
                if self.response is not None and td.get("interrupt_response", True):
                    self.response.cancel("turn_detected")
            else:
                item_id = self.speech_item_id or new_id("item_")
                self.speech_item_id = None
                await self.emit({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": vad_event.ms,
                                 "item_id": item_id})
                await self.commit(item_id, auto_response=td.get("create_response", True))
        if not self.vad.speaking:
            # Outside speech the server keeps only the padding that may start the next turn.
            keep = (int(td.get("prefix_padding_ms") or 0) + 100) * BYTES_PER_MS
            if len(self.buffer) > 2 * keep:
                del self.buffer[:-keep]

    async def on_input_audio_buffer_commit(self: "Connection", data: dict, ev: str | None) -> None:
        ms = self.buffered_ms()
        if ms < MIN_COMMIT_MS:
            await self.error(
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least {MIN_COMMIT_MS}ms "
                f"of audio, but buffer only has {ms:.2f}ms of audio.", client_event_id=ev)
            return
        item_id = self.speech_item_id or new_id("item_")
        self.speech_item_id = None
        self.vad.reset_speech()
        await self.commit(item_id, auto_response=False)

    async def on_input_audio_buffer_clear(self: "Connection", data: dict, ev: str | None) -> None:
        self.buffer.clear()
        self.speech_item_id = None
        self.vad.reset_speech()
        await self.emit({"type": "input_audio_buffer.cleared"})

    async def on_output_audio_buffer_clear(self: "Connection", data: dict, ev: str | None) -> None:
        await self.error("invalid_value", "output_audio_buffer.clear is only supported for WebRTC and SIP.",
                         param="type", client_event_id=ev)

    async def commit(self: "Connection", item_id: str, auto_response: bool) -> None:
        heard_ms = len(self.buffer) // BYTES_PER_MS
        self.buffer.clear()
        transcript = self.sim.take_transcript()
        self.heard[item_id] = transcript
        item = {"id": item_id, "type": "message", "object": "realtime.item", "status": "completed",
                "role": "user", "content": [{"type": "input_audio", "transcript": None}]}
        prev = self.add_item(item)
        await self.emit({"type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": prev})
        await self.emit({"type": "conversation.item.added", "previous_item_id": prev, "item": dict(item)})
        await self.emit({"type": "conversation.item.done", "previous_item_id": prev, "item": dict(item)})

        async def transcribe() -> None:
            if not transcription_enabled(self.session):
                return
            if self.sim.take_transcription_failure():
                await self.emit({"type": "conversation.item.input_audio_transcription.failed", "item_id": item_id,
                                 "content_index": 0, "error": {
                                     "type": "transcription_error", "code": "audio_unintelligible",
                                     "message": "Audio could not be transcribed.", "param": None}})
                return
            item["content"] = [{"type": "input_audio", "transcript": transcript}]
            common = {"item_id": item_id, "content_index": 0}
            await self.emit({"type": "conversation.item.input_audio_transcription.delta", **common,
                             "delta": transcript})
            tokens_in = max(1, heard_ms // 100)
            tokens_out = max(1, len(transcript) // 4)
            await self.emit({"type": "conversation.item.input_audio_transcription.completed", **common,
                             "transcript": transcript,
                             "usage": {"type": "tokens", "input_tokens": tokens_in, "output_tokens": tokens_out,
                                       "total_tokens": tokens_in + tokens_out}})

        if auto_response:
            # The real server often finishes the user's transcript after
            # the answer has started; clients must order turns by item id.
            self.spawn(self._auto_response(transcribe))
        else:
            await transcribe()

    async def _auto_response(self: "Connection", transcribe) -> None:
        previous = self.response
        if previous is not None and previous.task is not None:
            await asyncio.wait({previous.task})
        if self.response is not None:
            await transcribe()
            return
        self.start_response({}, after_start=transcribe)

    # --- responses -----------------------------------------------------------

    async def on_response_create(self: "Connection", data: dict, ev: str | None) -> None:
        if self.sim.faults.out_of_quota():  # the account has no credit left: no response at all
            await self.error("insufficient_quota", "You exceeded your current quota, please check your plan and "
                             "billing details.", client_event_id=ev, kind="insufficient_quota")
            return
        if self.response is not None:
            await self.error(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self.response.id}. "
                "Wait until the response is finished before creating a new one.", client_event_id=ev)
            return
        params = data.get("response") or {}
        if params.get("output_modalities") is not None and sorted(set(params["output_modalities"])) not in (
                ["audio"], ["text"]):
            await self.error("invalid_value", "Use either ['audio'] or ['text'] as output_modalities, not both.",
                             param="response.output_modalities", client_event_id=ev)
            return
        self.start_response(params)

    async def on_response_cancel(self: "Connection", data: dict, ev: str | None) -> None:
        wanted = data.get("response_id")
        if self.response is None or (wanted and wanted != self.response.id):
            await self.error("response_cancel_not_active", "Cancellation failed: no active response found.",
                             client_event_id=ev)
            return
        self.response.cancel("client_cancelled")

    def start_response(self: "Connection", params: Item, after_start=None) -> ResponseRun:
        if params.get("input") is not None:
            context = []
            for ref in params["input"]:
                if ref.get("type") == "item_reference":
                    i = self.index_of(ref.get("id", ""))
                    if i >= 0:
                        context.append(self.items[i])
                else:
                    context.append(ref)
        else:
            context = list(self.items)
        run = ResponseRun(self, params, self.for_model(context), params.get("conversation", "auto") != "none",
                          after_start)
        self.response = run
        run.task = self.spawn(run.run())
        return run

    def finish_response(self: "Connection", run: ResponseRun) -> None:
        if self.response is run:
            self.response = None


def _stored_content(part: dict) -> dict:
    """Content as the server keeps it (input audio bytes are not echoed)."""
    part = dict(part)
    if part.get("type") == "input_audio":
        part.pop("audio", None)
        part.setdefault("transcript", None)
    return part
