"""The voice worker's figures against the simulators on loopback.

1. Reconnect: server-side drop -> "connected" again and -> primed
   (session.updated), the server back at once. Targets: <= 0.3 s, <= 1 s.
2. Half-open detection: the server stops answering -> the worker says
   "disconnected", with the shipped ping settings and with tight ones.
3. Parse-and-dispatch rate of server events: the worker's path (json +
   type dispatch) vs the openai package's realtime client (parse_event +
   its handler registry), on the same recorded event stream. Target >= 1.0x.
   In process (the client code alone) and over a loopback socket (a replay
   server sends the stream; each client receives, parses and dispatches it).

Usage: python bench/bench_voice.py [drops] [half_open_samples]"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websocket  # noqa: E402

from bench.stats import pct  # noqa: E402
from core import config as config_mod  # noqa: E402
from core.events import Bus, Event  # noqa: E402
from sim.cluster import SimCluster  # noqa: E402
from store import ConversationStore, JobStore  # noqa: E402
from voice import protocol  # noqa: E402
from voice.session import Session  # noqa: E402
from voice.worker import VoiceWorker  # noqa: E402


class Stamps:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.seen: list[tuple[float, str]] = []

    def __call__(self, event: Event) -> None:
        kind = None
        if event.type == "connection_status":
            kind = event.status
        elif event.type == "voice_state":
            kind = event.state
        if kind:
            with self.cond:
                self.seen.append((time.perf_counter(), kind))
                self.cond.notify_all()

    def wait(self, kind: str, after: float, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                for t, k in self.seen:
                    if k == kind and t >= after:
                        return t
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(kind)
                self.cond.wait(left)


def start_worker(sims: SimCluster, tmp: Path, **voice: float) -> tuple[VoiceWorker, Stamps, threading.Thread]:
    base = config_mod.load(ROOT / "config.toml", env={}, mode="simulate")
    cfg = config_mod.with_sections(
        base, secrets=sims.secrets, app={"data_dir": str(tmp)},
        openai={"realtime_url": sims.urls["openai_realtime_url"], "api_base": sims.urls["openai_api_base"]},
        voice=dict({"audio": "off"}, **voice),
    )
    bus = Bus()
    stamps = Stamps()
    bus.subscribe(stamps)
    jobs = JobStore(f"sqlite:///{tmp / 'calls.db'}", bus=bus)
    jobs.init_db()
    conv = ConversationStore(f"sqlite:///{tmp / 'conv.db'}")
    conv.init_db()
    worker = VoiceWorker(cfg, bus, jobs, conv)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    stamps.wait("primed", 0)
    return worker, stamps, thread


def bench_reconnect(sims: SimCluster, drops: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        worker, stamps, thread = start_worker(sims, Path(tmp))
        back, primed = [], []
        for _ in range(drops):
            time.sleep(1.1)  # a stable session, so the next drop is a "first" drop again
            t0 = time.perf_counter()
            sims.faults.trigger("drop")
            back.append(stamps.wait("connected", t0) - t0)
            primed.append(stamps.wait("primed", t0) - t0)
        worker.stop()
        thread.join(10)
    for name, values, target in (("reconnected", back, 0.3), ("primed", primed, 1.0)):
        print(f"drop -> {name:11s}: median {statistics.median(values) * 1000:7.1f} ms, p95 "
              f"{pct(values, 0.95) * 1000:7.1f} ms, max {max(values) * 1000:7.1f} ms over {len(values)} drops "
              f"(target <= {target * 1000:.0f} ms: {'OK' if max(values) <= target else 'MISSED'})")


def bench_half_open(sims: SimCluster, samples: int, interval: float, timeout: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        worker, stamps, thread = start_worker(sims, Path(tmp), ping_interval_s=interval, ping_timeout_s=timeout)
        found = []
        for _ in range(samples):
            stamps.wait("primed", 0)
            time.sleep(0.3)
            t0 = time.perf_counter()
            sims.faults.trigger("half_open")
            found.append(stamps.wait("disconnected", t0) - t0)
            stamps.wait("primed", t0)
        worker.stop()
        thread.join(10)
    print(f"half-open found (ping {interval:g} s / pong {timeout:g} s): median {statistics.median(found):.2f} s, "
          f"max {max(found):.2f} s over {samples} (bound {interval + timeout:g} s, must be <= 10 s)")


def record_stream(sims: SimCluster, responses: int = 12) -> list[str]:
    """Server events of a voice conversation: audio, transcripts, tools."""
    url = protocol.realtime_url(sims.urls["openai_realtime_url"], "gpt-realtime")
    ws = websocket.create_connection(url, header=[f"Authorization: Bearer {sims.secrets.openai_api_key}"], timeout=30)
    from voice.tools import TOOLS

    ws.send(protocol.dumps(protocol.session_update(
        instructions="## Contact directory\n- Akhil (Operations): +12025550101\n", voice="marin", tools=TOOLS,
        transcription_model="gpt-4o-mini-transcribe", text_only=False, event_id_="su_1")))
    frames: list[str] = []
    texts = ["Say " + "a fairly long sentence to speak aloud. " * 4, "What is the status of my call to Akhil?"]
    done = 0
    for n in range(responses):
        ws.send(protocol.dumps(protocol.user_text(f"u{n}", texts[n % 2])))
        ws.send(protocol.dumps(protocol.response_create()))
        while True:
            frame = ws.recv()
            frames.append(frame)
            kind = json.loads(frame)["type"]
            if kind == "response.done":
                done += 1
                break
    ws.close()
    return frames


def bench_dispatch(sims: SimCluster, rounds: int = 20) -> None:
    from openai._event_handler import EventHandlerRegistry
    from openai.resources.realtime.realtime import RealtimeConnection

    frames = record_stream(sims)
    with tempfile.TemporaryDirectory() as tmp:
        base = config_mod.load(ROOT / "config.toml", env={}, mode="simulate")
        bus = Bus()
        worker = VoiceWorker(base, bus, JobStore(f"sqlite:///{tmp}/c.db", bus=bus),
                             ConversationStore(f"sqlite:///{tmp}/v.db"))
        session = Session(worker, None, 1)  # type: ignore[arg-type]  # handlers only; nothing is sent
        count = [0]

        def noop(event: object) -> None:
            count[0] += 1

        session.handlers = {kind: noop for kind in session.handlers}
        session.turns = object()  # type: ignore[assignment]  # mark it named, so nothing is queued
        worker._session = session  # the worker's own receive path: json, lock, type dispatch

        # what RealtimeConnection.dispatch_events does per event, minus the socket
        registry = EventHandlerRegistry(use_lock=True)
        for kind in session.handlers:
            registry.add(kind, noop)

        def openai_dispatch(frame: str) -> None:
            event = RealtimeConnection.parse_event(None, frame)  # type: ignore[arg-type]
            for handler in registry.get_handlers(event.type):
                handler(event)
            for handler in registry.get_handlers("event"):
                handler(event)

        results = {}
        for name, fn in (("ours", worker._on_message), ("openai", openai_dispatch)):
            best = float("inf")
            for _ in range(rounds):
                t0 = time.perf_counter()
                for frame in frames:
                    fn(frame)
                best = min(best, time.perf_counter() - t0)
            results[name] = len(frames) / best
        ratio = results["ours"] / results["openai"]
        print(f"parse+dispatch of {len(frames)} recorded server events, in process: ours {results['ours']:,.0f} ev/s, "
              f"openai package {results['openai']:,.0f} ev/s -> {ratio:.2f}x (target >= 1.0x: "
              f"{'OK' if ratio >= 1.0 else 'MISSED'})")
        bench_dispatch_socket(frames, worker, noop, count)
        worker.jobs.close()
        worker.conversation.close()


class ReplayServer:
    """A WebSocket endpoint that sends a fixed event stream, then closes."""

    def __init__(self, frames: list[str]) -> None:
        import asyncio

        from aiohttp import web

        self.frames = frames
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

        async def handle(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            for frame in self.frames:
                await ws.send_str(frame)
            await ws.close()
            return ws

        async def start() -> int:
            app = web.Application()
            app.add_routes([web.get("/v1/realtime", handle)])
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            return int(self.runner.addresses[0][1])

        self.port = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    def stop(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def bench_dispatch_socket(frames: list[str], worker: VoiceWorker, noop: object, count: list[int],
                          rounds: int = 3) -> None:
    from openai import OpenAI

    from voice.connection import Connection

    stream = frames * 10
    handled = {k for k in worker._session.handlers}  # type: ignore[union-attr]
    expected = sum(1 for f in stream if json.loads(f)["type"] in handled)
    server = ReplayServer(stream)
    results = {}
    try:
        def ours() -> None:
            conn = Connection(f"ws://127.0.0.1:{server.port}/v1/realtime?model=m", "k", ping_interval=30,
                              ping_timeout=20, connect_timeout=10, on_open=lambda c: None,
                              on_message=worker._on_message)
            conn.run()

        def theirs() -> None:
            client = OpenAI(api_key="k", websocket_base_url=f"ws://127.0.0.1:{server.port}/v1")
            with client.realtime.connect(model="m") as conn:
                for kind in handled:  # the same no-op handlers as ours, through its public API
                    conn.on(kind, noop)
                conn.dispatch_events()

        for name, fn in (("ours", ours), ("openai", theirs)):
            best = float("inf")
            for _ in range(rounds):
                count[0] = 0
                t0 = time.perf_counter()
                fn()
                elapsed = time.perf_counter() - t0
                assert count[0] == expected, (name, count[0], expected)
                best = min(best, elapsed)
            results[name] = len(stream) / best
    finally:
        server.stop()
    ratio = results["ours"] / results["openai"]
    print(f"  over a loopback socket ({len(stream)} events, connect included): ours {results['ours']:,.0f} ev/s, "
          f"openai package {results['openai']:,.0f} ev/s -> {ratio:.2f}x "
          f"(target >= 1.0x: {'OK' if ratio >= 1.0 else 'MISSED'})")


def main() -> None:
    drops = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    settings = config_mod.load(None, env={}, mode="simulate", overrides={"sim": {"speed": 20.0}}).settings
    sims = SimCluster(settings, personas_path=ROOT / "sim" / "personas.toml").start()
    try:
        bench_reconnect(sims, drops)
        bench_half_open(sims, samples, 1.0, 0.5)
        base = config_mod.VoiceSection()
        bench_half_open(sims, samples, base.ping_interval_s, base.ping_timeout_s)
        bench_dispatch(sims)
    finally:
        sims.stop()


if __name__ == "__main__":
    main()
