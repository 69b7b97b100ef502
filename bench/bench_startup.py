"""Cold start: `python app.py` to its first frame (target ≤ 0.5 s: the
databases and simulators start after it), and `--headless` to its first
event (target < 1 s: the simulators' start-up is part of it). Runs in
simulate mode on a fresh data dir each time."""
from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
    e.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
    return e


def config_copy(tmp: Path) -> Path:
    cfg = tmp / "config.toml"
    text = (ROOT / "config.toml").read_text()
    text = text.replace('data_dir = "data"', f'data_dir = "{tmp / "data"}"')
    text = text.replace('instructions_file = "voice/default_instructions.md"',
                        f'instructions_file = "{ROOT / "voice/default_instructions.md"}"')
    text = text.replace('personas_file = "sim/personas.toml"', f'personas_file = "{ROOT / "sim/personas.toml"}"')
    cfg.write_text(text)
    return cfg


def headless_first_event(tmp: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--config", str(config_copy(tmp)), "--headless",
                             "--no-mirror"], stdout=subprocess.PIPE, stdin=subprocess.PIPE, env=env(), cwd=tmp)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.send_signal(signal.SIGINT)
    proc.wait(10)
    return elapsed


def console_first_frame(tmp: Path) -> float:
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(tmp)
        os.execve(sys.executable, [sys.executable, str(ROOT / "app.py"), "--config", str(config_copy(tmp)),
                                   "--no-mirror"], env())
    buf = b""
    try:
        while b"Switchboard" not in buf and b"SIMULATION" not in buf:
            r, _, _ = select.select([fd], [], [], 20)
            if not r:
                raise TimeoutError("no frame in 20 s")
            buf += os.read(fd, 65536)
        return time.perf_counter() - t0
    finally:
        os.kill(pid, signal.SIGTERM)
        _drain_until_exit(pid, fd)
        os.close(fd)


def _drain_until_exit(pid: int, fd: int) -> None:
    """Keep reading the terminal while the app exits: a child writing to a
    full pty nobody reads would block forever."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                break
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
    os.waitpid(pid, 0)


def measure(fn) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(RUNS):
        tmp = Path(tempfile.mkdtemp(prefix="sb-bench-"))
        try:
            out.append(fn(tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    for name, fn, target_ms in (("headless → first event", headless_first_event, "< 1000"),
                                ("console → first frame", console_first_frame, "≤ 500")):
        times = measure(fn)
        print(f"{name:28s} median {statistics.median(times) * 1000:7.0f} ms   "
              f"min {min(times) * 1000:6.0f} ms   max {max(times) * 1000:6.0f} ms   (target {target_ms} ms, {RUNS} runs)")


if __name__ == "__main__":
    main()
