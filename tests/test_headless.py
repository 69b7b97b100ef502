"""`app.py --headless` drives the whole app over stdin/stdout, through every
simulator, and stops cleanly on a signal."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import ROOT


def fast_config(tmp_path: Path) -> Path:
    text = (ROOT / "config.toml").read_text()
    text = text.replace('data_dir = "data"', f'data_dir = "{tmp_path / "data"}"')
    text = text.replace("poll_interval_s = 2", "poll_interval_s = 0.05")
    text = text.replace("speed = 1.0 ", "speed = 40.0 ")
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    return cfg


class Headless:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--config", str(fast_config(tmp_path)), "--headless", "--no-mirror", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))  # every stdout line must be one JSON event

    def say(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for e in self.seen:
            if pred(e):
                return e
        while time.monotonic() < deadline:
            try:
                e = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(e)
            if pred(e):
                return e
        raise AssertionError(f"no such event in {timeout} s; last: {self.seen[-5:]}")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(10)
        return code, time.monotonic() - t0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_starts_labelled_and_stops_on_a_signal_within_2_s(tmp_path: Path, sig: int) -> None:
    app = Headless(tmp_path)
    try:
        assert app.wait_for(lambda e: e["type"] == "mode")["mode"] == "simulate"
        app.wait_for(lambda e: e["type"] == "connection_status" and e["status"] == "connected")
    finally:
        code, took = app.stop(sig)
    assert code == 0, app.proc.stderr.read() if app.proc.stderr else ""
    assert took < 2.0
    assert all("ts" in e and e["ts"].endswith("Z") for e in app.seen)


def test_a_typed_request_ends_in_a_finished_call_and_an_update(tmp_path: Path) -> None:
    app = Headless(tmp_path)
    try:
        app.wait_for(lambda e: e["type"] == "connection_status" and e["status"] == "connected")
        app.say("call Akhil in Operations about the overdue invoice")
        app.wait_for(lambda e: e["type"] == "tool_called" and e["name"] == "schedule_outbound_call")
        job = app.wait_for(lambda e: e["type"] == "call_job_updated" and e["job"]["overall_status"] == "PROCESSING")
        update = app.wait_for(lambda e: e["type"] == "new_call_update_available", timeout=90)
        assert update["contact_name"] == "Akhil" and update["job_id"] == job["job"]["id"]
        done = app.wait_for(lambda e: e["type"] == "call_job_updated" and e["job"]["overall_status"] == "COMPLETED_SUCCESS")
        assert "invoice" in done["job"]["initial_call_objective_description"]
        user_turn = app.wait_for(lambda e: e["type"] == "transcript_turn" and e["role"] == "user")
        assert "Akhil" in user_turn["text"]
    finally:
        code, _ = app.stop()
    assert code == 0


def test_exit_on_eof(tmp_path: Path) -> None:
    app = Headless(tmp_path, "--exit-on-eof")
    app.wait_for(lambda e: e["type"] == "mode")
    assert app.proc.stdin is not None
    app.proc.stdin.close()
    assert app.proc.wait(10) == 0


def test_piped_lines_are_all_answered_in_order_before_exit_on_eof(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
    lines = "call Akhil in Operations about the invoice\nRepeat after me: the second line\nlist my calls\n"
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--config", str(fast_config(tmp_path)), "--headless", "--no-mirror",
         "--exit-on-eof"], input=lines, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=90)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    turns = [(e["role"], e["text"]) for e in events if e["type"] == "transcript_turn"]
    users = [text for role, text in turns if role == "user"]
    assert users == ["call Akhil in Operations about the invoice", "Repeat after me: the second line", "list my calls"]
    tools = [e for e in events if e["type"] == "tool_called"]
    assert [t["name"] for t in tools] == ["schedule_outbound_call", "list_scheduled_calls"]
    assert "Akhil" in tools[1]["result"]  # the row was written before the list was asked for
    last_user = max(i for i, (role, _) in enumerate(turns) if role == "user")
    assert any(role == "assistant" for role, _ in turns[last_user + 1:]), "the last line was not answered"
    assert any(text == "the second line" for role, text in turns if role == "assistant")
