"""``python -m calling [--config config.toml] [--mode live|simulate]``: the
calling engine alone, against the configured database, so several engines
(processes or machines) can share one PostgreSQL database.

In simulate mode it starts its own simulators; to share simulators with
another process, run in live mode with their URLs in the environment
(SWITCHBOARD__ULTRAVOX__BASE_URL, … and the secrets)."""
from __future__ import annotations

import argparse
import signal
import sys
from typing import Any, Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from core import config as config_mod

    p = argparse.ArgumentParser(prog="python -m calling", description="Run the calling engine on its own.")
    p.add_argument("--config", default="config.toml", metavar="PATH")
    p.add_argument("--mode", choices=("auto", "live", "simulate"))
    p.add_argument("--engine-id", help="a stable name for this engine (default: random)")
    args = p.parse_args(argv)
    try:
        cfg = config_mod.load(args.config, mode=args.mode)
    except config_mod.ConfigError as e:
        print(f"calling: config error: {e}", file=sys.stderr)
        return 2

    from core import logs

    logs.setup(cfg.data_dir, cfg.settings.app.log_level, stderr_level="WARNING")

    import sqlalchemy.exc

    from calling.engine import CallingEngine
    from core.events import Bus
    from store import JobStore

    sims: Any = None
    if cfg.mode == "simulate":
        from core.runtime import point_at_sims
        from sim.cluster import SimCluster

        sims = SimCluster(cfg.settings).start()
        cfg = point_at_sims(cfg, sims)
        print(f"calling: SIMULATION: services at {sims.urls}", file=sys.stderr)
    bus = Bus()
    jobs = JobStore(cfg.db_url(cfg.settings.calling.calls_db_url), bus=bus)
    try:
        try:
            jobs.init_db()
        except sqlalchemy.exc.SQLAlchemyError as e:
            first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            print(f"calling: calling.calls_db_url: cannot open the database: {first}", file=sys.stderr)
            return 2
        engine = CallingEngine(cfg, bus, jobs, engine_id=args.engine_id)

        def on_signal(signum: int, _frame: Any) -> None:
            engine.stop()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        engine.run()
        return 0
    finally:
        jobs.close()
        if sims is not None:
            sims.stop()


if __name__ == "__main__":
    sys.exit(main())
