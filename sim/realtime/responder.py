"""One model response: the GA server's event sequence for each output item
(message with audio + transcript or text, or a function call), then
``response.done`` and ``rate_limits.updated``."""
from __future__ import annotations

import asyncio
import json
import math
import re
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from . import model
from .audio import CHUNK_MS, speaking_ms, tone_chunk_b64
from .intents import Call
from .session import Item, new_id, tool_names

if TYPE_CHECKING:
    from .connection import Connection

THINK_S = 0.1  # before the first output, divided by the sim's speed
AUDIO_FASTER_THAN_REALTIME = 4.0


class Cancelled(Exception):
    pass


class ResponseRun:
    def __init__(self, conn: "Connection", params: Item, context: list[dict],
                 in_conversation: bool, after_start: Callable[[], Awaitable[None]] | None = None) -> None:
        self.conn = conn
        self.id = new_id("resp_")
        self.params = params
        self.context = context
        self.in_conversation = in_conversation
        self.after_start = after_start
        self.cancel_reason: str | None = None
        self.output: list[dict] = []
        self.task: asyncio.Task | None = None
        session = conn.session
        self.modalities = params.get("output_modalities") or session.get("output_modalities") or ["audio"]
        self.instructions = params.get("instructions", session.get("instructions") or "")
        self.tools = tool_names({"tools": params["tools"]}) if "tools" in params else tool_names(session)
        self.tool_choice = params.get("tool_choice", session.get("tool_choice", "auto"))
        out = (session.get("audio") or {}).get("output") or {}
        self.audio = {"output": {"format": out.get("format"), "voice": out.get("voice")}}
        self._audio_tokens = 0
        self._text_tokens = 0

    def cancel(self, reason: str) -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason

    def _check(self) -> None:
        if self.cancel_reason is not None:
            raise Cancelled()

    def _response(self, status: str, usage: dict | None = None) -> Item:
        details = None
        if status == "cancelled":
            details = {"type": "cancelled", "reason": self.cancel_reason}
        elif status == "completed":
            details = None
        return {
            "object": "realtime.response", "id": self.id, "status": status, "status_details": details,
            "output": [dict(i) for i in self.output], "conversation_id": self.conn.conversation_id if self.in_conversation else None,
            "output_modalities": list(self.modalities), "max_output_tokens": self.params.get(
                "max_output_tokens", self.conn.session.get("max_output_tokens", "inf")),
            "audio": self.audio, "usage": usage, "metadata": self.params.get("metadata"),
        }

    async def run(self) -> None:
        conn = self.conn
        status = "completed"
        try:
            await conn.emit({"type": "response.created", "response": self._response("in_progress")})
            if conn.sim.speed > 0:
                await asyncio.sleep(THINK_S / conn.sim.speed)
            reply = model.reply(self.instructions, self.context, self.tools, frozenset(conn.mentioned_jobs),
                                self.tool_choice, frozenset(conn.answered))
            conn.mentioned_jobs |= set(reply.mentioned)
            for index, out in enumerate(reply.outputs):
                self._check()
                if isinstance(out, Call):
                    await self._function_call(index, out)
                else:
                    await self._message(index, out.text)
        except Cancelled:
            status = "cancelled"
        if self.after_start is not None:
            hook, self.after_start = self.after_start, None
            await hook()
        usage = self._usage()
        if status == "completed" and self.in_conversation:
            conn.answered |= {i["id"] for i in self.context if i.get("role") == "user" and i.get("id")}
        conn.finish_response(self)
        await conn.emit({"type": "response.done", "response": self._response(status, usage)})
        await conn.emit({"type": "rate_limits.updated", "rate_limits": conn.rate_limits(usage["total_tokens"])})

    async def _started(self, index: int, item: dict) -> None:
        conn = self.conn
        self.output.append(item)
        await conn.emit({"type": "response.output_item.added", "response_id": self.id,
                         "output_index": index, "item": dict(item)})
        if self.in_conversation:
            prev = conn.add_item(item)
            await conn.emit({"type": "conversation.item.added", "previous_item_id": prev, "item": dict(item)})
        if self.after_start is not None:
            hook, self.after_start = self.after_start, None
            await hook()

    async def _finished(self, index: int, item: dict) -> None:
        conn = self.conn
        await conn.emit({"type": "response.output_item.done", "response_id": self.id,
                         "output_index": index, "item": dict(item)})
        if self.in_conversation:
            await conn.emit({"type": "conversation.item.done", "previous_item_id": conn.previous_id(item["id"]),
                             "item": dict(item)})

    async def _function_call(self, index: int, call: Call) -> None:
        arguments = json.dumps(call.arguments)
        item = {"id": new_id("item_"), "type": "function_call", "object": "realtime.item",
                "status": "in_progress", "name": call.name, "call_id": new_id("call_", 16), "arguments": ""}
        await self._started(index, item)
        common = {"response_id": self.id, "item_id": item["id"], "output_index": index, "call_id": item["call_id"]}
        for piece in self._pieces(arguments, words=False):
            self._check()
            await self.conn.emit({"type": "response.function_call_arguments.delta", **common, "delta": piece})
        await self.conn.emit({"type": "response.function_call_arguments.done", **common,
                              "name": call.name, "arguments": arguments})
        item.update(status="completed", arguments=arguments)
        self._text_tokens += max(1, len(arguments) // 4)
        await self._finished(index, item)

    async def _message(self, index: int, text: str) -> None:
        audio = "audio" in self.modalities
        item = {"id": new_id("item_"), "type": "message", "object": "realtime.item", "status": "in_progress",
                "role": "assistant", "content": []}
        await self._started(index, item)
        common = {"response_id": self.id, "item_id": item["id"], "output_index": index, "content_index": 0}
        part = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        await self.conn.emit({"type": "response.content_part.added", **common, "part": part})
        sent = ""
        try:
            if audio:
                sent = await self._stream_audio(common, item["id"], text)
            else:
                for piece in self._pieces(text, words=True):
                    self._check()
                    await self.conn.emit({"type": "response.output_text.delta", **common, "delta": piece})
                    sent += piece
        except Cancelled:
            item["status"] = "incomplete"
            item["content"] = [self._content(audio, sent)]
            await self._finished(index, item)
            raise
        if audio:
            await self.conn.emit({"type": "response.output_audio.done", **common})
            await self.conn.emit({"type": "response.output_audio_transcript.done", **common, "transcript": text})
            done_part = {"type": "audio", "transcript": text}
        else:
            await self.conn.emit({"type": "response.output_text.done", **common, "text": text})
            done_part = {"type": "text", "text": text}
        await self.conn.emit({"type": "response.content_part.done", **common, "part": done_part})
        self._text_tokens += max(1, len(text) // 4)
        item.update(status="completed", content=[self._content(audio, text)])
        await self._finished(index, item)

    @staticmethod
    def _content(audio: bool, text: str) -> dict:
        return {"type": "output_audio", "transcript": text} if audio else {"type": "output_text", "text": text}

    async def _stream_audio(self, common: dict, item_id: str, text: str) -> str:
        conn = self.conn
        pieces = self._pieces(text, words=True)
        chunks = speaking_ms(text) // CHUNK_MS
        chunk = tone_chunk_b64()
        start = time.monotonic()
        rate = AUDIO_FASTER_THAN_REALTIME * conn.sim.speed
        sent, given = "", 0
        for k in range(chunks):
            upto = math.ceil((k + 1) * len(pieces) / chunks)
            while given < upto:
                self._check()
                await conn.emit({"type": "response.output_audio_transcript.delta", **common,
                                 "delta": pieces[given]})
                sent += pieces[given]
                given += 1
            self._check()
            await conn.emit({"type": "response.output_audio.delta", **common, "delta": chunk})
            conn.audio_ms[item_id] = (k + 1) * CHUNK_MS
            self._audio_tokens += CHUNK_MS // 50
            due = start + (k + 1) * CHUNK_MS / 1000 / rate if rate > 0 else 0
            wait = due - time.monotonic()
            if wait > 0.002:
                await asyncio.sleep(wait)
        return sent

    def _pieces(self, text: str, words: bool) -> list[str]:
        size = self.conn.sim.delta_chars
        if size > 0:
            return [text[i: i + size] for i in range(0, len(text), size)] or [""]
        if words:
            return re.findall(r"\S+\s*|\s+", text) or [""]
        third = max(1, math.ceil(len(text) / 3))
        return [text[i: i + third] for i in range(0, len(text), third)] or [""]

    def _usage(self) -> Item:
        text_in = sum(len(model.item_text(i)) for i in self.context) + len(self.instructions)
        input_tokens = max(1, text_in // 4)
        output_tokens = self._text_tokens + self._audio_tokens
        return {
            "total_tokens": input_tokens + output_tokens,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "input_token_details": {"text_tokens": input_tokens, "audio_tokens": 0, "image_tokens": 0,
                                    "cached_tokens": 0, "cached_tokens_details": {
                                        "text_tokens": 0, "audio_tokens": 0, "image_tokens": 0}},
            "output_token_details": {"text_tokens": self._text_tokens, "audio_tokens": self._audio_tokens},
        }

