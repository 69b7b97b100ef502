"""The console in a real terminal (a pty): SIGTERM quits it cleanly."""
from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from tests.conftest import ROOT


def readable(fd: int, timeout_s: float) -> bool:
    """poll, not select: select() refuses a descriptor numbered 1024 or more."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout_s * 1000))


def read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    buf, deadline = b"", time.monotonic() + timeout
    while needle not in buf and time.monotonic() < deadline:
        if readable(fd, 0.2):
            buf += os.read(fd, 65536)
    return buf


def test_sigterm_quits_the_console_with_status_0(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text((ROOT / "config.toml").read_text().replace('data_dir = "data"', f'data_dir = "{tmp_path / "data"}"'))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
    env.update(TERM="xterm-256color")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app in a terminal of its own
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, str(ROOT / "app.py"), "--config", str(cfg), "--no-mirror"], env)
    status = None
    try:
        assert b"SIMULATION" in read_until(fd, b"SIMULATION", 30)
        os.kill(pid, signal.SIGTERM)
        deadline, tail = time.monotonic() + 20, b""
        while status is None and time.monotonic() < deadline:
            if readable(fd, 0.2):
                try:
                    tail += os.read(fd, 65536)
                except OSError:  # the terminal closed: the app is gone
                    pass
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
        assert status == 0
        assert b"Traceback" not in tail
        assert b"\x1b[?1049l" in tail  # the alternate screen was left: the terminal is restored
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
        os.close(fd)
