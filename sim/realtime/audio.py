"""PCM16 24 kHz mono helpers: the assistant's (quiet tone) voice and an
energy-based server VAD."""
from __future__ import annotations

import base64
import functools
import math
import sys
from array import array
from dataclasses import dataclass

RATE = 24000
BYTES_PER_MS = RATE * 2 // 1000  # 48
CHUNK_MS = 100
FRAME_MS = 10
_FRAME_BYTES = FRAME_MS * BYTES_PER_MS
CHARS_PER_S = 15.0  # speaking speed used to size audio to a transcript


def speaking_ms(text: str) -> int:
    ms = int(len(text) / CHARS_PER_S * 1000)
    return max(CHUNK_MS * 3, ms - ms % CHUNK_MS)


@functools.cache
def tone_chunk_b64(ms: int = CHUNK_MS, freq: float = 200.0, amplitude: int = 600) -> str:
    """A quiet tone; 200 Hz fits 100 ms exactly, so chunks join seamlessly."""
    n = RATE * ms // 1000
    samples = array("h", (int(amplitude * math.sin(2 * math.pi * freq * i / RATE)) for i in range(n)))
    if sys.byteorder == "big":
        samples.byteswap()
    return base64.b64encode(samples.tobytes()).decode("ascii")


def frame_rms(frame: bytes) -> float:
    samples = array("h")
    samples.frombytes(frame[: len(frame) - len(frame) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@dataclass
class VadEvent:
    kind: str  # "started" | "stopped"
    ms: int


class Vad:
    """Speech starts after ``start_ms`` of frames above the threshold and
    stops after ``silence_duration_ms`` below it. ``threshold`` is the
    session's 0..1 value; 0.5 means an RMS of about 650 (of 32767)."""

    START_MS = 60

    def __init__(self) -> None:
        self.position_ms = 0  # audio received this session
        self.speaking = False
        self._pending = b""
        self._loud_run = 0
        self._quiet_run = 0
        self.speech_start_ms = 0
        self.last_loud_end_ms = 0

    def feed(self, pcm: bytes, threshold: float, silence_ms: int) -> list[VadEvent]:
        data = self._pending + pcm
        usable = len(data) - len(data) % _FRAME_BYTES
        self._pending = data[usable:]
        level = 32767 * 0.04 * max(0.01, threshold)
        events: list[VadEvent] = []
        for off in range(0, usable, _FRAME_BYTES):
            loud = frame_rms(data[off: off + _FRAME_BYTES]) >= level
            self.position_ms += FRAME_MS
            if loud:
                self._loud_run += FRAME_MS
                self._quiet_run = 0
                self.last_loud_end_ms = self.position_ms
                if not self.speaking and self._loud_run >= self.START_MS:
                    self.speaking = True
                    self.speech_start_ms = self.position_ms - self._loud_run
                    events.append(VadEvent("started", self.speech_start_ms))
            else:
                self._loud_run = 0
                self._quiet_run += FRAME_MS
                if self.speaking and self._quiet_run >= silence_ms:
                    self.speaking = False
                    events.append(VadEvent("stopped", self.last_loud_end_ms))
        return events

    def advance(self, pcm_len: int) -> None:
        """Count audio without VAD (turn detection off)."""
        self.position_ms += pcm_len // BYTES_PER_MS

    def reset_speech(self) -> None:
        self.speaking = False
        self._loud_run = self._quiet_run = 0
