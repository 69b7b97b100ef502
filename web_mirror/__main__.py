"""``python -m web_mirror [--config config.toml] [--mirror-port N]``: the
mirror on its own, serving the databases' state and the POST endpoints."""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading

from core import config as config_mod
from web_mirror.server import MirrorServer
from web_mirror.standalone import build_runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web_mirror", description=__doc__)
    parser.add_argument("--config", default="config.toml")
    parser.add_argument("--mirror-port", type=int, default=None)
    parser.add_argument("--mode", choices=("auto", "live", "simulate"), default=None)
    args = parser.parse_args(argv)
    try:
        # no services are called here, so live secrets are not required
        cfg = config_mod.load(args.config, mode="simulate")
    except config_mod.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    mode = args.mode or cfg.settings.app.mode
    if mode == "auto":
        mode = "live" if os.environ.get("OPENAI_API_KEY") else "simulate"
    cfg = dataclasses.replace(cfg, mode=mode)  # only the label the browser shows
    logging.basicConfig(level=cfg.settings.app.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    m = cfg.settings.mirror
    port = m.port if args.mirror_port is None else args.mirror_port
    runtime = build_runtime(cfg)
    feed = runtime.feed
    feed_thread = threading.Thread(target=feed.run, name=feed.name, daemon=True)
    server = MirrorServer(runtime, host=m.host, port=port).start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    feed_thread.start()
    print(f"Web mirror: {server.link}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
        feed.stop()
        feed_thread.join(timeout=5)
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
