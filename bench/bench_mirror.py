"""Mirror delivery: an event published on the bus → received by each of 50
WebSocket clients; p99 target < 20 ms, with one deliberately stalled client
(handshakes, then never reads) present the whole time.

The 50 clients run in a child process (asyncio + websockets) so their
reading does not share the app's GIL; latency uses CLOCK_MONOTONIC, which
is the same clock in both processes.

    .venv/bin/python bench/bench_mirror.py [--clients 50] [--events 4000] [--rate 200]
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import pct  # noqa: E402

TOKEN = "bench-token"


# --- the child: N browsers ---------------------------------------------------

async def _browser(url: str, latencies: list[tuple[int, int]], ready: asyncio.Event, counter: list[int], total: int) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, compression=None, max_size=None, ping_interval=None) as ws:
        await ws.recv()  # the snapshot
        counter[0] += 1
        if counter[0] == total:
            ready.set()
        async for raw in ws:
            now = time.monotonic_ns()
            # cheaper than json.loads, so the readers' own speed weighs less in the figure
            at = raw.find('"text":"')
            if not raw.startswith('{"type":"notice"') or at < 0:
                continue
            text = raw[at + 8:]
            if text.startswith("bench:end"):
                return
            seq, sent, _ = text.split(":", 2)
            latencies.append((int(seq), now - int(sent)))


async def _browsers(url: str, n: int) -> None:
    ready = asyncio.Event()
    counter = [0]
    per_client: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    tasks = [asyncio.create_task(_browser(url, per_client[i], ready, counter, n)) for i in range(n)]
    await asyncio.wait_for(ready.wait(), 30)
    print("READY", flush=True)
    await asyncio.wait_for(asyncio.gather(*tasks), 300)
    print(json.dumps({"latencies_ns": [x for lat in per_client for x in lat],
                      "per_client": [len(lat) for lat in per_client]}), flush=True)


# --- the parent: the app ------------------------------------------------------

def _stalled_client(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET /ws?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock  # never read again


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--events", type=int, default=4000)
    ap.add_argument("--rate", type=float, default=200.0, help="events per second")
    ap.add_argument("--payload", type=int, default=1024, help="bytes of text per event")
    ap.add_argument("--no-stall", action="store_true", help="leave out the stalled client (for comparison)")
    ap.add_argument("--child", default="")
    args = ap.parse_args()
    if args.child:
        asyncio.run(_browsers(args.child, args.clients))
        return 0

    import logging

    from core import config
    from core.events import Notice
    from web_mirror import MirrorServer
    from web_mirror.standalone import build_runtime

    logging.basicConfig(level=logging.ERROR)
    tmpdir = tempfile.TemporaryDirectory(prefix="bench_mirror_")
    tmp = Path(tmpdir.name)
    (tmp / "config.toml").write_text('[app]\nmode = "simulate"\n[calling]\ncalls_db_url = "sqlite:///calls.db"\n'
                                     '[conversation]\ndb_url = "sqlite:///conversation.db"\n')
    runtime = build_runtime(config.load(tmp / "config.toml", env={}, mode="simulate"))
    mirror = MirrorServer(runtime, host="127.0.0.1", port=0, token=TOKEN).start()
    child = None
    try:
        stalled = None if args.no_stall else _stalled_client(mirror.port)
        url = mirror.url.replace("http://", "ws://") + f"/ws?token={TOKEN}"
        child = subprocess.Popen([sys.executable, __file__, "--child", url, "--clients", str(args.clients)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line == "READY", line
        filler = "x" * max(0, args.payload - 40)
        publish_ns: list[int] = []
        dropped_at: int | None = None
        interval = 1.0 / args.rate
        start = time.monotonic()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        for i in range(args.events):
            target = start + i * interval
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t0 = time.monotonic_ns()
            runtime.bus.publish(Notice(level="info", text=f"{i}:{t0}:{filler}"))
            publish_ns.append(time.monotonic_ns() - t0)
            if dropped_at is None and mirror.dropped_clients:
                dropped_at = i
        elapsed = time.monotonic() - start
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        time.sleep(0.2)
        runtime.bus.publish(Notice(level="info", text="bench:end"))
        result = json.loads(child.stdout.readline())
        child.wait(timeout=30)
        child_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        if stalled is not None:
            stalled.close()
    finally:
        if child is not None and child.poll() is None:
            child.kill()
        mirror.stop()
        runtime.close()
        tmpdir.cleanup()

    lat_ms = [x / 1e6 for _, x in result["latencies_ns"]]
    before_drop = [x / 1e6 for seq, x in result["latencies_ns"] if dropped_at is None or seq < dropped_at]
    pub_us = [x / 1e3 for x in publish_ns]
    expected = args.events * args.clients
    print(f"mirror delivery: {args.clients} clients + {0 if args.no_stall else 1} stalled, {args.events} events of {args.payload} B "
          f"at {args.events / elapsed:.0f}/s")
    print(f"  delivered        {len(lat_ms)}/{expected} "
          f"(min per client {min(result['per_client'])}, max {max(result['per_client'])})")
    print(f"  latency ms       p50 {pct(lat_ms, 0.50):.2f}  p90 {pct(lat_ms, 0.90):.2f}  "
          f"p99 {pct(lat_ms, 0.99):.2f}  max {max(lat_ms):.2f}  mean {statistics.fmean(lat_ms):.2f}  "
          f"(target p99 < 20 ms: {'MET' if pct(lat_ms, 0.99) < 20 else 'MISSED'})")
    print(f"  while the stalled client was still connected: p99 {pct(before_drop, 0.99):.2f} ms "
          f"over {len(before_drop)} deliveries")
    print(f"  bus.publish us   p50 {pct(pub_us, 0.50):.1f}  p99 {pct(pub_us, 0.99):.1f}  max {max(pub_us):.1f}"
          "  (cost on the app's thread)")
    app_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    print(f"  CPU              app process {app_cpu / elapsed:.0%} of a core, browsers' process "
          f"{(child_cpu.ru_utime + child_cpu.ru_stime) / elapsed:.0%} (2 cores here: {os.cpu_count()})")
    print(f"  machine load average {os.getloadavg()[0]:.1f} (other work on these cores inflates the tail)")
    print(f"  stalled clients dropped: {mirror.dropped_clients}"
          + (f" (after event {dropped_at}: its socket buffers and queue of {mirror.queue_size} were full)"
             if dropped_at is not None else " (still present at the end)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
