"""One browser connected over the WebSocket: a bounded queue and one writer
greenlet, so a slow or dead browser only ever fills its own queue.

Everything here runs on the mirror's hub thread."""
from __future__ import annotations

import logging
import socket
import struct
from typing import Any

import gevent
import gevent.lock
import gevent.queue
from geventwebsocket.exceptions import WebSocketError

from core.state import CallUpdate

log = logging.getLogger(__name__)


class Client:
    def __init__(self, ws: Any, sock: socket.socket, queue_size: int, address: Any = None) -> None:
        self.ws = ws
        self.sock = sock
        self.address = address
        self.queue: gevent.queue.Queue[bytes] = gevent.queue.Queue(maxsize=queue_size)
        self.writer: gevent.Greenlet | None = None
        self.closed = False
        self.badges: list[CallUpdate] | None = None  # the update badges this browser was last sent
        self._write_lock = gevent.lock.Semaphore()
        # the library's own frames (pong, close) take the same lock as ours,
        # so a frame is never cut into by another one
        ws.raw_write = self.write

    def write(self, data: bytes) -> None:
        with self._write_lock:
            self.sock.sendall(data)

    def offer(self, message: bytes) -> bool:
        """Queue a message without blocking; False when the queue is full."""
        try:
            self.queue.put_nowait(message)
        except gevent.queue.Full:
            return False
        return True

    def start(self) -> None:
        self.writer = gevent.spawn(self._write)

    def _write(self) -> None:
        try:
            while True:
                batch = [self.queue.get()]
                while len(batch) < 64 and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                self.write(b"".join(batch))
        except (WebSocketError, OSError) as e:
            log.debug("mirror client %s went away while writing: %s", self.address, e)
        finally:
            # the reader (the request's greenlet) must end too
            self.abort()

    def abort(self) -> None:
        """Close without waiting for the browser: kill the writer, shut the socket."""
        if self.closed:
            return
        self.closed = True
        if self.writer is not None and gevent.getcurrent() is not self.writer:
            self.writer.kill(block=False)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError as e:
            log.debug("mirror client %s socket already closed: %s", self.address, e)


def text_frame(text: str) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 §5.2), built once
    per event and written as is to every browser."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload
