"""The simulated phone network: links a Twilio leg to the Ultravox call whose
``joinUrl`` its TwiML streams to.

Ultravox registers each call's join token here; when a Twilio leg is
answered it ``join``s by the Stream URL and plays the callee's script into
that call; when either side ends, the other is told. Everything runs on the
cluster's one asyncio loop, so no locks."""
from __future__ import annotations

from typing import Callable, Protocol
from urllib.parse import parse_qs, urlsplit


class JoinableCall(Protocol):
    call_id: str
    template_context: dict
    first_speaker: str

    def mark_joined(self) -> None: ...
    def add_message(self, role: str, text: str) -> None: ...
    def end(self, reason: str, summary: str = "") -> None: ...
    @property
    def running(self) -> bool: ...


class PhoneNetwork:
    def __init__(self) -> None:
        self._by_token: dict[str, JoinableCall] = {}
        self._leg_hangups: dict[str, Callable[[], None]] = {}

    def register(self, token: str, call: JoinableCall) -> None:
        self._by_token[token] = call

    def forget(self, call_id: str) -> None:
        for token in [t for t, c in self._by_token.items() if c.call_id == call_id]:
            del self._by_token[token]
        self._leg_hangups.pop(call_id, None)

    def lookup(self, stream_url: str) -> JoinableCall | None:
        """The live Ultravox call a Stream URL joins, if this network issued it."""
        token = parse_qs(urlsplit(stream_url).query).get("token", [""])[0]
        call = self._by_token.get(token)
        return call if call is not None and call.running else None

    def join(self, stream_url: str, hang_up_leg: Callable[[], None]) -> JoinableCall | None:
        call = self.lookup(stream_url)
        if call is not None:
            call.mark_joined()
            self._leg_hangups[call.call_id] = hang_up_leg
        return call

    def never_joined(self, stream_url: str) -> None:
        """The leg that would have joined ended unanswered: the call ends unjoined."""
        call = self.lookup(stream_url)
        if call is not None:
            call.end("unjoined")

    def agent_ended(self, call_id: str) -> None:
        """The Ultravox side ended a joined call: hang up its phone leg."""
        hang_up = self._leg_hangups.pop(call_id, None)
        if hang_up is not None:
            hang_up()
