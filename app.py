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

    from core.runtime import Runtime, StartupError

    try:
        rt = Runtime.build(cfg)
    except StartupError as e:
        print(f"switchboard: {e}", file=sys.stderr)
        return 2
    logs.redact_config_secrets(rt.config.secrets)  # the simulators' keys, in simulation
    mirror = None
    try:
        mirror = _start_mirror(rt)
        if mirror is not None:
            logs.redact_secrets(mirror.token)
        if args.headless:
            from core import headless

            return headless.run(rt, exit_on_eof=args.exit_on_eof)
        from tui.app import run_console

        return run_console(rt)
    finally:
        if mirror is not None:
            mirror.stop()
        rt.close()


def _start_mirror(rt):  # type: ignore[no-untyped-def]
    from core.events import Notice

    m = rt.config.settings.mirror
    if not m.enabled:
        return None
    from web_mirror.server import MirrorServer

    try:
        mirror = MirrorServer(rt, host=m.host, port=m.port, token=rt.config.secrets.mirror_token or None).start()
    except OSError as e:
        rt.bus.publish(Notice(level="error", text=f"Web mirror not started: {m.host}:{m.port}: {e.strerror or e}. "
                                                  "Use --mirror-port N or --no-mirror."))
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


if __name__ == "__main__":
    sys.exit(main())
