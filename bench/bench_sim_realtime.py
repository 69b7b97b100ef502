"""Server events per second from the Realtime simulator to one client on
loopback (target >= 5,000/s).

The sim runs in a child process (its own GIL); the client is websocket-client,
parsing every event with json.loads as the product does, with
``skip_utf8_validation=True`` (websocket-client's pure-Python UTF-8 check
otherwise caps a client at ~1.4 MB/s, ~300 audio deltas/s). Scenarios: a text
response of many word deltas, and an audio response (transcript + 100 ms
PCM chunks) with pacing switched off. Usage:
``python bench/bench_sim_realtime.py [words]``."""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websocket  # noqa: E402

API_KEY = "sk-bench"


def _serve(port_out, stop) -> None:
    from aiohttp import web

    from sim.faults import Faults
    from sim.realtime import RealtimeSim

    async def main() -> None:
        sim = RealtimeSim(api_key=API_KEY, faults=Faults(), speed=1e9)
        app = web.Application()
        app.add_routes(sim.routes())
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(runner.addresses[0][1])
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await sim.close()
        await runner.cleanup()

    asyncio.run(main())


def _turn(ws, text: str, modalities: list[str]) -> tuple[int, float, int]:
    ws.send(json.dumps({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}))
    ws.send(json.dumps({"type": "response.create", "response": {"output_modalities": modalities}}))
    count, nbytes, t0 = 0, 0, None
    while True:
        raw = ws.recv()
        event = json.loads(raw)
        if event["type"] == "response.created":
            t0 = time.perf_counter()
            continue
        if t0 is None:
            continue
        count += 1
        nbytes += len(raw)
        if event["type"] == "response.done":
            return count, time.perf_counter() - t0, nbytes


def main(argv: list[str]) -> int:
    words = int(argv[0]) if argv else 20000
    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_serve, args=(port_q, stop), daemon=True)
    proc.start()
    try:
        port = port_q.get(timeout=30)
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime",
                                         header=[f"Authorization: Bearer {API_KEY}"], timeout=60,
                                         skip_utf8_validation=True)
        ws.recv()  # session.created
        ws.send(json.dumps({"type": "session.update", "session": {
            "type": "realtime", "audio": {"input": {"turn_detection": None}}}}))
        ws.recv()  # session.updated
        text = "repeat after me: " + " ".join(f"w{i % 10}" for i in range(words))
        _turn(ws, "repeat after me: warm up", ["text"])
        n, secs, _ = _turn(ws, text, ["text"])
        print(f"text deltas : {n:7d} events in {secs:6.3f} s = {n / secs:9.0f} events/s")
        n, secs, nbytes = _turn(ws, text, ["audio"])
        print(f"audio+text  : {n:7d} events in {secs:6.3f} s = {n / secs:9.0f} events/s "
              f"({nbytes / secs / 1e6:.1f} MB/s)")
        ws.close()
    finally:
        stop.set()
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
