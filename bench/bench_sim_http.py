"""Requests per second for each HTTP simulator on loopback.

The simulators run in their own process (``python -m sim``), as in a demo,
so client and server do not share a GIL. Two clients per route: a lean
keep-alive ``http.client`` connection (what the server sustains) and the
real package the product uses (requests / twilio / openai, all keep-alive).
Usage: ``python bench/bench_sim_http.py [seconds] [--in-process]``."""
from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
import signal
import subprocess
import sys
import time
from types import SimpleNamespace
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from openai import OpenAI  # noqa: E402
from twilio.rest import Client  # noqa: E402

from core import config  # noqa: E402
from sim.cluster import SimCluster  # noqa: E402


def rate(fn: Callable[[], None], seconds: float) -> float:
    for _ in range(50):
        fn()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn()
        n += 50
    return n / elapsed


def raw(url: str, method: str, path: str, headers: dict, body: bytes | None = None) -> Callable[[], None]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)

    def once() -> None:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status < 300, resp.status

    return once


ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def sims_in_subprocess():
    proc = subprocess.Popen([sys.executable, "-m", "sim", "--speed", "1000"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out = ""
        while "TWILIO_FROM_NUMBER=" not in out:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("python -m sim exited before printing its URLs")
            out += line
        env = dict(re.findall(r"export (\w+)=(\S+)", out))
        yield SimpleNamespace(
            urls={"openai_api_base": env["SWITCHBOARD__OPENAI__API_BASE"],
                  "ultravox_base_url": env["SWITCHBOARD__ULTRAVOX__BASE_URL"],
                  "twilio_base_url": env["SWITCHBOARD__TWILIO__BASE_URL"]},
            secrets=config.Secrets(env["OPENAI_API_KEY"], env["ULTRAVOX_API_KEY"], env["ULTRAVOX_AGENT_ID"],
                                   env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"], env["TWILIO_FROM_NUMBER"]))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    seconds = float(args[0]) if args else 2.0
    in_process = "--in-process" in sys.argv
    sims = (SimCluster(config.Settings(sim={"speed": 1000.0}), ultravox_join_timeout_s=1e6) if in_process
            else sims_in_subprocess())
    with sims as c:
        s, u = c.secrets, c.urls
        uv_headers = {"X-API-Key": s.ultravox_api_key, "Content-Type": "application/json"}
        call = requests.post(f"{u['ultravox_base_url']}/agents/{s.ultravox_agent_id}/calls",
                             headers=uv_headers, json={"metadata": {"k": "v"}}).json()
        tw = Client(s.twilio_account_sid, s.twilio_auth_token)
        tw.api.base_url = u["twilio_base_url"]
        tw.region = tw.edge = None
        leg = tw.calls.create(to="+12025550109", from_=s.twilio_from_number,
                              twiml=f'<Response><Connect><Stream url="wss://x/y?token=t&amp;x=1"/></Connect></Response>')
        basic = "Basic " + base64.b64encode(f"{s.twilio_account_sid}:{s.twilio_auth_token}".encode()).decode()
        oa_headers = {"Authorization": f"Bearer {s.openai_api_key}", "Content-Type": "application/json"}
        chat_body = json.dumps({"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "a\nb"}]}).encode()
        oa = OpenAI(api_key=s.openai_api_key, base_url=u["openai_api_base"], max_retries=0)
        session = requests.Session()
        session.headers.update(uv_headers)
        leg_path = f"/2010-04-01/Accounts/{s.twilio_account_sid}/Calls/{leg.sid}.json"
        cases = [
            ("openai  POST /v1/chat/completions", "http.client",
             raw(u["openai_api_base"], "POST", "/v1/chat/completions", oa_headers, chat_body)),
            ("openai  POST /v1/chat/completions", "openai pkg",
             lambda: oa.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "a"}])),
            ("ultravox GET /api/calls/{id}", "http.client",
             raw(u["ultravox_base_url"], "GET", f"/api/calls/{call['callId']}", uv_headers)),
            ("ultravox GET /api/calls/{id}", "requests",
             lambda: session.get(f"{u['ultravox_base_url']}/calls/{call['callId']}").raise_for_status()),
            ("twilio  GET Calls/{sid}.json", "http.client",
             raw(u["twilio_base_url"], "GET", leg_path, {"Authorization": basic})),
            ("twilio  GET Calls/{sid}.json", "twilio pkg", lambda: tw.calls(leg.sid).fetch()),
        ]
        where = "same process" if in_process else "own process"
        print(f"HTTP simulators ({where}), loopback, one keep-alive client, {seconds:g} s each")
        for route, client, fn in cases:
            print(f"  {route:<36} {client:<12} {rate(fn, seconds):8.0f} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
