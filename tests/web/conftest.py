"""The mirror on a free port over a real Runtime (stores on tmp SQLite, the
real bus and state view; no workers, no simulators)."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import websocket

from core import config
from core.runtime import Runtime
from web_mirror import MirrorServer
from web_mirror.standalone import build_runtime
from tests.helpers import Recorder as BusRecorder, wait_for  # noqa: F401  (re-exported to the tests)

TOKEN = "test-token-0123456789"


def write_config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(
        '[app]\nmode = "simulate"\n'
        '[calling]\ncalls_db_url = "sqlite:///calls.db"\n'
        '[conversation]\ndb_url = "sqlite:///conversation.db"\n'
        '[mirror]\nport = 0\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    cfg = config.load(write_config(tmp_path), env={}, mode="simulate")
    rt = build_runtime(cfg)
    yield rt
    rt.close()


@pytest.fixture
def mirror(runtime: Runtime) -> Iterator[MirrorServer]:
    server = MirrorServer(runtime, host="127.0.0.1", port=0, token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def recorder(runtime: Runtime) -> Iterator[BusRecorder]:
    rec = BusRecorder()
    unsubscribe = runtime.bus.subscribe(rec)
    yield rec
    unsubscribe()


class WsClient:
    """A WebSocket reader on a thread, collecting every message."""

    def __init__(self, url: str, **kw: Any) -> None:
        self.ws = websocket.create_connection(url, timeout=10, **kw)
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                raw = self.ws.recv()
                if not raw:
                    break
                with self._lock:
                    self.messages.append(json.loads(raw))
        except (websocket.WebSocketException, OSError):
            pass  # the server closed us: recorded by `closed`
        finally:
            self.closed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m.get("type") == kind]

    def close(self) -> None:
        self.ws.close()
        self._thread.join(timeout=5)


@pytest.fixture
def ws_client(mirror: MirrorServer) -> Iterator[Callable[..., WsClient]]:
    made: list[WsClient] = []

    def connect(**kw: Any) -> WsClient:
        url = mirror.url.replace("http://", "ws://") + f"/ws?token={TOKEN}"
        client = WsClient(url, **kw)
        made.append(client)
        return client

    yield connect
    for c in made:
        c.close()


@pytest.fixture(autouse=True)
def no_mirror_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A handler that fails is logged, not raised: fail the test on it."""
    yield
    errors = [r for r in caplog.records if r.name.startswith("web_mirror") and r.levelno >= 40]
    assert not errors, [r.getMessage() for r in errors]
