"""Switchboard: wires the parts together. See docs/architecture.md."""
from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from core import cli
    from core import config

    args = cli.parse(argv)
    if args.command == "doctor":
        return _doctor(args)
    try:
        cfg = config.load(args.config, mode=args.mode, overrides=cli.overrides(args))
    except config.ConfigError as e:
        print(f"switchboard: config error: {e}", file=sys.stderr)
        return 2

    from core import logs, preflight

    try:
        preflight.check(cfg)
    except preflight.PreflightError as e:
        print(f"switchboard: {e}", file=sys.stderr)
        return 2

    logs.setup(cfg.data_dir, cfg.settings.app.log_level, stderr_level="WARNING" if args.headless or args.command else None)
    logs.redact_config_secrets(cfg.secrets)

    if args.command == "export":
        return _export(cfg, args)
    if args.command == "campaign":
        return _campaign(cfg, args)

    if args.headless:
        return _headless(cfg, args)
    return _console(cfg, args)


def _headless(cfg, args) -> int:  # type: ignore[no-untyped-def]
    from core import headless, logs
    from core.runtime import Runtime, StartupError

    try:
        rt = Runtime.build(cfg)
    except StartupError as e:
        print(f"switchboard: {e}", file=sys.stderr)
        return 2
    logs.redact_config_secrets(rt.config.secrets)  # the simulators' keys, in simulation
    mirror = None
    try:
        mirror = _start_mirror(rt, new_token=args.new_mirror_token)
        if mirror is not None:
            logs.redact_secrets(mirror.token)
        return headless.run(rt, exit_on_eof=args.exit_on_eof)
    finally:
        if mirror is not None:
            mirror.stop()
        rt.close()


def _console(cfg, args) -> int:  # type: ignore[no-untyped-def]
    """The console's first frame comes before the databases and simulators
    (and their imports) are up: they start on a worker thread meanwhile."""
    from core import logs
    from tui.app import run_console

    built: dict = {}

    def start():  # type: ignore[no-untyped-def]
        from core.runtime import Runtime

        built["runtime"] = rt = Runtime.build(cfg)
        logs.redact_config_secrets(rt.config.secrets)  # the simulators' keys, in simulation
        built["mirror"] = mirror = _start_mirror(rt, new_token=args.new_mirror_token)
        if mirror is not None:
            logs.redact_secrets(mirror.token)
        return rt

    try:
        return run_console(cfg, start)
    except Exception as e:
        from core.runtime import StartupError

        if isinstance(e, StartupError):
            print(f"switchboard: {e}", file=sys.stderr)
            return 2
        raise
    finally:
        if built.get("mirror") is not None:
            built["mirror"].stop()
        if built.get("runtime") is not None:
            built["runtime"].close()


def _start_mirror(rt, new_token: bool = False):  # type: ignore[no-untyped-def]
    import logging

    from core.events import Notice

    m = rt.config.settings.mirror
    if not m.enabled:
        return None
    from web_mirror.server import MirrorServer
    from web_mirror.token import new_token as renew

    token = rt.config.secrets.mirror_token or None
    if new_token and not token:
        token = renew(rt.config.data_dir)
    try:
        mirror = MirrorServer(rt, host=m.host, port=m.port, token=token).start()
    except OSError as e:
        text = (f"Web mirror not started: {m.host}:{m.port}: {e.strerror or e}. "
                f"Pick another port with --mirror-port N (0 picks a free one) or "
                f"SWITCHBOARD__MIRROR__PORT, or turn it off with --no-mirror.")
        logging.getLogger("web_mirror").error("%s", text)
        rt.startup_notices.append(Notice(level="error", text=text))  # shown once a view listens
        return None
    rt.mirror_url = mirror.url
    rt.mirror_link = mirror.link
    return mirror


def _doctor(args) -> int:  # type: ignore[no-untyped-def]
    import json

    from core import config, doctor, logs

    try:
        cfg = doctor.load(args.config, args.mode)
    except config.ConfigError as e:
        fix = "correct it in the config file or the environment"
        if args.json:
            print(json.dumps({"ready": False, "checks": [{"name": "config", "status": "fail", "detail": str(e),
                                                          "fix": fix}]}))
        else:
            print(f"FAIL config: {e} — fix: {fix}")
        return 1
    logs.setup(cfg.data_dir, cfg.settings.app.log_level, stderr_level="ERROR")
    return doctor.main(cfg, as_json=args.json)


def _export(cfg, args) -> int:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from core import config
    from calling.export import export
    from store import JobStore

    jobs = JobStore(cfg.db_url(cfg.settings.calling.calls_db_url))
    jobs.init_db()
    out = Path(args.out) if args.out else cfg.data_dir / "exports"
    for path in export(jobs, out, args.format):
        print(path)
    jobs.close()
    return 0


def _campaign(cfg, args) -> int:  # type: ignore[no-untyped-def]
    import os

    from calling.campaigns import commands
    from core.clock import SystemClock
    from store import JobStore

    jobs = JobStore(cfg.db_url(cfg.settings.calling.calls_db_url))
    try:
        jobs.init_db()
        return commands.run(args, jobs, cfg.settings, SystemClock(), sys.stdout, sys.stderr)
    except BrokenPipeError:  # `campaign export … | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        jobs.close()


if __name__ == "__main__":
    sys.exit(main())
