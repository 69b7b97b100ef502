"""The command line of app.py (docs/interfaces.md)."""
from __future__ import annotations

import argparse
from typing import Any, Sequence


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="app.py",
        description="Switchboard: a console for a voice assistant that makes phone calls on its own.",
    )
    p.add_argument("--config", default="config.toml", metavar="PATH", help="config file (default ./config.toml)")
    p.add_argument("--mode", choices=("auto", "live", "simulate"), help="overrides [app] mode")
    p.add_argument("--headless", action="store_true", help="no console: JSON events on stdout, stdin lines to the assistant")
    p.add_argument("--exit-on-eof", action="store_true", help="with --headless: stop at the end of stdin")
    p.add_argument("--no-mirror", action="store_true", help="do not start the web mirror")
    p.add_argument("--mirror-port", type=int, metavar="N", help="web mirror port (0 picks a free one)")
    p.add_argument("--new-mirror-token", action="store_true",
                   help="replace the web mirror's access token (kept in the data folder; old links stop working)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    export = sub.add_parser("export", help="write call jobs and attempts to CSV or JSON, then exit")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", metavar="DIR", help="folder for the files (default <data_dir>/exports)")
    doctor = sub.add_parser("doctor", help="check that everything is ready for real calls (never places one)")
    doctor.add_argument("--json", action="store_true", help="one JSON object for scripts")
    # also accepted after the command word (``doctor --mode live``)
    doctor.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    doctor.add_argument("--mode", choices=("auto", "live", "simulate"), default=argparse.SUPPRESS)
    return p


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    args = parser().parse_args(argv)
    if args.mirror_port is not None and not 0 <= args.mirror_port <= 65535:
        parser().error(f"--mirror-port must be between 0 and 65535, got {args.mirror_port}")
    return args


def overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Command-line flags that beat the file and the environment."""
    mirror: dict[str, Any] = {}
    if args.no_mirror:
        mirror["enabled"] = False
    if args.mirror_port is not None:
        mirror["port"] = args.mirror_port
    return {"mirror": mirror} if mirror else {}
