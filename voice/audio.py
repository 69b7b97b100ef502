"""Audio: the device boundary and the playback jitter buffer.

The device is the wire here: an ``AudioDevice`` only moves PCM16 mono
24 kHz between the sound card and us (it pushes 20 ms microphone chunks and
pulls speaker bytes). Everything above it — buffering, what counts as
played, barge-in — is ours. ``SounddeviceDevice`` is the real one."""
from __future__ import annotations

import collections
import logging
import threading
from typing import Any, Callable, Protocol

from voice.protocol import BYTES_PER_MS, SAMPLE_RATE

log = logging.getLogger(__name__)

CHUNK_MS = 20
CHUNK_BYTES = CHUNK_MS * BYTES_PER_MS  # 960
PREBUFFER_MS = 60  # absorb network jitter before the first byte plays


class AudioDevice(Protocol):
    def start_capture(self, on_chunk: Callable[[bytes], None]) -> None:
        """Call ``on_chunk`` with each 20 ms of microphone PCM."""

    def start_playback(self, pull: Callable[[int], bytes]) -> None:
        """Each output block, take exactly that many bytes from ``pull``."""

    def close(self) -> None: ...


class SounddeviceDevice:
    """Microphone and speaker through sounddevice (PortAudio)."""

    def __init__(self, sd: Any, input_device: str = "", output_device: str = "") -> None:
        self._sd = sd
        self._input = input_device or None
        self._output = output_device or None
        self._streams: list[Any] = []

    def start_capture(self, on_chunk: Callable[[bytes], None]) -> None:
        def callback(indata: Any, frames: int, time: Any, status: Any) -> None:
            if status:
                log.debug("microphone status: %s", status)
            on_chunk(bytes(indata))

        stream = self._sd.RawInputStream(
            samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=CHUNK_BYTES // 2,
            device=self._input, callback=callback,
        )
        stream.start()
        self._streams.append(stream)

    def start_playback(self, pull: Callable[[int], bytes]) -> None:
        def callback(outdata: Any, frames: int, time: Any, status: Any) -> None:
            outdata[:] = pull(frames * 2)

        stream = self._sd.RawOutputStream(
            samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=CHUNK_BYTES // 2,
            device=self._output, callback=callback,
        )
        stream.start()
        self._streams.append(stream)

    def close(self) -> None:
        for stream in self._streams:
            try:
                stream.stop()
                stream.close()
            except Exception:
                log.exception("closing an audio stream failed")
        self._streams.clear()


def open_default_device(mode: str, input_device: str = "", output_device: str = "") -> tuple[AudioDevice | None, str]:
    """(device, "") or (None, why we are in text mode)."""
    if mode == "off":
        return None, 'audio is off in the config (voice.audio = "off")'
    try:
        import sounddevice as sd
    except OSError as e:  # the PortAudio library is missing
        return None, f"no audio: PortAudio is not available ({e})"
    try:
        devices = sd.query_devices()
        has_in = any(d.get("max_input_channels", 0) > 0 for d in devices)
        has_out = any(d.get("max_output_channels", 0) > 0 for d in devices)
    except Exception as e:
        log.exception("listing audio devices failed")
        return None, f"no audio: cannot list sound devices ({e})"
    if not (has_in and has_out):
        return None, "no audio: no microphone and speaker found"
    return SounddeviceDevice(sd, input_device, output_device), ""


class Player:
    """A jitter buffer between Realtime audio deltas and the speaker, which
    knows how much of each assistant item has really been played."""

    def __init__(self, prebuffer_ms: int = PREBUFFER_MS) -> None:
        self._lock = threading.Lock()
        self._chunks: collections.deque[tuple[str, int, bytes]] = collections.deque()
        self._buffered = 0
        self._prebuffer = prebuffer_ms * BYTES_PER_MS
        self._started = False
        self._flush = False
        self.received: dict[str, int] = {}
        self.played: dict[str, int] = {}
        self.current: tuple[str, int] | None = None  # item and content index last played

    def feed(self, item_id: str, content_index: int, pcm: bytes) -> None:
        with self._lock:
            self._chunks.append((item_id, content_index, pcm))
            self._buffered += len(pcm)
            self.received[item_id] = self.received.get(item_id, 0) + len(pcm)
            if self.current is None:
                self.current = (item_id, content_index)

    def finish(self) -> None:
        """No more audio is coming for now: play out what is buffered."""
        with self._lock:
            self._flush = True

    def playing(self) -> bool:
        with self._lock:
            return self._buffered > 0

    def pull(self, nbytes: int) -> bytes:
        """For the device: ``nbytes`` of audio, silence where there is none."""
        out = bytearray()
        with self._lock:
            if not self._started and (self._buffered >= self._prebuffer or (self._flush and self._buffered)):
                self._started = True
            while self._started and len(out) < nbytes and self._chunks:
                item_id, index, pcm = self._chunks[0]
                take = pcm[: nbytes - len(out)]
                out += take
                self._buffered -= len(take)
                self.played[item_id] = self.played.get(item_id, 0) + len(take)
                self.current = (item_id, index)
                if len(take) == len(pcm):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = (item_id, index, pcm[len(take):])
            if not self._chunks:
                self._started = False
                self._flush = False
        return bytes(out) + bytes(nbytes - len(out))

    def stop(self) -> tuple[str, int, int] | None:
        """Barge-in: drop what is buffered. Returns (item_id, content_index,
        ms played of it) for the item that was playing, never more than
        was received."""
        with self._lock:
            current = (self._chunks[0][0], self._chunks[0][1]) if self._chunks else self.current
            self._chunks.clear()
            self._buffered = 0
            self._started = False
            self._flush = False
            self.current = None
        if current is None:
            return None
        item_id, index = current
        played = min(self.played.get(item_id, 0), self.received.get(item_id, 0))
        return item_id, index, played // BYTES_PER_MS

    def reset(self) -> None:
        self.stop()
        with self._lock:
            self.received.clear()
            self.played.clear()
