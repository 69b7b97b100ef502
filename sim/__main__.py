"""``python -m sim [--config config.toml] [--speed N] [--host H]``: run every
simulator until Ctrl-C (or SIGTERM), printing the URLs and the environment
lines that point Switchboard (or any client) at them. Exits 0 on a clean stop."""
from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from pathlib import Path

from core import config
from sim.cluster import SimCluster


def env_lines(cluster: SimCluster) -> list[str]:
    u, s = cluster.urls, cluster.secrets
    pairs = [
        ("SWITCHBOARD__APP__MODE", "live"),
        ("SWITCHBOARD__OPENAI__REALTIME_URL", u["openai_realtime_url"]),
        ("SWITCHBOARD__OPENAI__API_BASE", u["openai_api_base"]),
        ("SWITCHBOARD__ULTRAVOX__BASE_URL", u["ultravox_base_url"]),
        ("SWITCHBOARD__TWILIO__BASE_URL", u["twilio_base_url"]),
        ("OPENAI_API_KEY", s.openai_api_key),
        ("ULTRAVOX_API_KEY", s.ultravox_api_key),
        ("ULTRAVOX_AGENT_ID", s.ultravox_agent_id),
        ("TWILIO_ACCOUNT_SID", s.twilio_account_sid),
        ("TWILIO_AUTH_TOKEN", s.twilio_auth_token),
        ("TWILIO_FROM_NUMBER", s.twilio_from_number),
    ]
    return [f"export {k}={shlex.quote(v)}" for k, v in pairs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim", description="Run the Switchboard simulators.")
    parser.add_argument("--config", help="config file (default ./config.toml if present)")
    parser.add_argument("--speed", type=float, help="simulated-call speed-up (overrides [sim] speed)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--personas", help="personas file (overrides [sim] personas_file)")
    args = parser.parse_args(argv)
    overrides = {"sim": {"speed": args.speed}} if args.speed is not None else None
    if args.speed is not None and args.speed <= 0:
        print("--speed: must be greater than 0", file=sys.stderr)
        return 2
    path = args.config or ("config.toml" if Path("config.toml").exists() else None)
    try:
        cfg = config.load(path, mode="simulate", overrides=overrides)
    except config.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    personas = args.personas
    if personas is None and cfg.path is not None:
        candidate = cfg.base_dir / cfg.settings.sim.personas_file
        personas = str(candidate) if candidate.exists() else None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    cluster = SimCluster(cfg.settings, host=args.host, personas_path=personas).start()
    try:
        print(f"Switchboard simulators running (speed {cluster.speed:g}; Ctrl-C to stop)")
        for name, url in cluster.urls.items():
            print(f"  {name:<20} {url}")
        print(f"  {'realtime':<20} {'mounted' if cluster.realtime is not None else 'NOT mounted (sim.realtime missing)'}")
        print("Point Switchboard at them with:")
        for line in env_lines(cluster):
            print("  " + line)
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        cluster.stop()
    print("simulators stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
