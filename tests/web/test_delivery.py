"""Delivery under trouble: a browser that stops reading, restarts, the
standalone mirror, the token's origin."""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from core import config
from core.events import Notice
from tests.web.conftest import TOKEN, WsClient, wait_for, write_config
from web_mirror import MirrorServer
from web_mirror.standalone import build_runtime

ROOT = Path(__file__).resolve().parents[2]


def stalled_client(mirror: MirrorServer) -> socket.socket:
    """A WebSocket that completes its handshake and then never reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", mirror.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{mirror.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # byte by byte: leave the snapshot unread
    assert head.startswith(b"HTTP/1.1 101")
    return sock


def test_a_stalled_browser_is_dropped_and_the_others_get_everything(runtime):
    mirror = MirrorServer(runtime, host="127.0.0.1", port=0, token=TOKEN, queue_size=8).start()
    try:
        url = mirror.url.replace("http://", "ws://") + f"/ws?token={TOKEN}"
        healthy = WsClient(url)
        stuck = stalled_client(mirror)
        wait_for(lambda: mirror.client_count == 2, what="two clients")
        payload = "x" * 32_000
        sent = 0
        while mirror.dropped_clients == 0 and sent < 2000:
            runtime.bus.publish(Notice(level="info", text=f"{sent}:{payload}"))
            sent += 1
            if sent % 20 == 0:  # let the healthy reader keep up; the stuck one never will
                wait_for(lambda: len(healthy.of("notice")) >= sent - 4, what="healthy reader")
        wait_for(lambda: mirror.dropped_clients == 1, what="the stalled client dropped")
        wait_for(lambda: len(healthy.of("notice")) == sent, what="every event at the healthy client")
        assert [int(m["text"].split(":")[0]) for m in healthy.of("notice")] == list(range(sent))
        assert mirror.client_count == 1
        healthy.close()
        stuck.close()
    finally:
        mirror.stop()


def test_a_browser_that_vanishes_is_forgotten(mirror, runtime):
    url = mirror.url.replace("http://", "ws://") + f"/ws?token={TOKEN}"
    gone, staying = WsClient(url), WsClient(url)
    wait_for(lambda: mirror.client_count == 2, what="two clients")
    raw = gone.ws.sock  # the TCP socket under websocket-client
    raw.shutdown(socket.SHUT_RDWR)  # no close frame: the tab crashed
    wait_for(lambda: mirror.client_count == 1, what="the vanished client forgotten")
    runtime.bus.publish(Notice(level="info", text="still here"))
    wait_for(lambda: staying.of("notice"), what="delivery to the other browser")
    assert mirror.dropped_clients == 0
    staying.close()


def test_stop_is_idempotent_and_the_port_can_be_reused(runtime):
    first = MirrorServer(runtime, host="127.0.0.1", port=0, token=TOKEN).start()
    port = first.port
    assert port > 0
    browser = WsClient(first.url.replace("http://", "ws://") + f"/ws?token={TOKEN}")
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    first.stop()
    first.stop()
    assert browser.closed.wait(5), "the browser's socket is closed by stop()"
    runtime.bus.publish(Notice(level="info", text="after stop"))  # no hub: nothing to hand to
    second = MirrorServer(runtime, host="127.0.0.1", port=port, token=TOKEN).start()
    try:
        assert requests.get(second.url + "/api/state", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=5).status_code == 200
    finally:
        second.stop()


def test_a_busy_port_fails_start_clearly(runtime, mirror):
    with pytest.raises(OSError):
        MirrorServer(runtime, host="127.0.0.1", port=mirror.port, token=TOKEN).start()


def test_token_comes_from_the_environment_else_stays_the_same_per_data_folder(tmp_path):
    path = write_config(tmp_path)
    cfg = config.load(path, env={"SWITCHBOARD_MIRROR_TOKEN": "from-env"}, mode="simulate")
    rt = build_runtime(cfg)
    try:
        assert MirrorServer(rt, host="127.0.0.1", port=0).token == "from-env"
    finally:
        rt.close()
    cfg = config.load(path, env={}, mode="simulate")
    rt = build_runtime(cfg)
    try:
        a, b = MirrorServer(rt, host="127.0.0.1", port=0), MirrorServer(rt, host="127.0.0.1", port=0)
        assert len(a.token) >= 32 and a.token == b.token  # an open browser tab survives a restart
    finally:
        rt.close()


def test_standalone_mirror_serves_the_databases(tmp_path):
    path = write_config(tmp_path)
    app_side = build_runtime(config.load(path, env={}, mode="simulate"))
    job = app_side.jobs.create_job("+12025550101", "Akhil", "Ask about the invoice", max_retries=3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD")}
    env["SWITCHBOARD_MIRROR_TOKEN"] = TOKEN
    log_file = (tmp_path / "mirror.log").open("w")  # a pipe nobody reads would fill up and block it
    proc = subprocess.Popen(
        [sys.executable, "-m", "web_mirror", "--config", str(path), "--mirror-port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("Web mirror: http://127.0.0.1:"), line + (tmp_path / "mirror.log").read_text()
        base = line.split()[-1].split("/?token=")[0]
        auth = {"Authorization": f"Bearer {TOKEN}"}
        state = requests.get(base + "/api/state", headers=auth, timeout=5).json()
        assert [j["id"] for j in state["jobs"]] == [job.id]
        # another process (the app) changes the job: the standalone mirror follows
        app_side.jobs.update_job(job.id, overall_status="PROCESSING")
        wait_for(lambda: requests.get(base + "/api/state", headers=auth, timeout=5).json()["jobs"][0]
                 ["overall_status"] == "PROCESSING", what="the watcher to see the change")
        res = requests.post(base + "/api/ui_status_update", json={"status": "connected", "message": ""},
                            headers=auth, timeout=5)
        assert res.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log_file.close()
        app_side.close()
    assert "Traceback" not in (tmp_path / "mirror.log").read_text()


def test_pings_from_a_browser_never_cut_into_event_frames(mirror, runtime, ws_client):
    # a small receive buffer: the mirror's writes block part-way, when a pong could cut in
    browser = ws_client(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    texts = [f"{i}:" + "p" * 20_000 for i in range(300)]

    def ping() -> None:
        for i in range(300):
            browser.ws.ping(f"ping {i}")

    pinger = threading.Thread(target=ping)
    pinger.start()
    for text in texts:
        runtime.bus.publish(Notice(level="info", text=text))
    pinger.join(timeout=30)
    wait_for(lambda: len(browser.of("notice")) == len(texts), what="every notice intact")
    assert [m["text"] for m in browser.of("notice")] == texts
    assert not browser.closed.is_set()
