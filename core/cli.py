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
    _campaign_commands(sub)
    return p


def _campaign_commands(sub: Any) -> None:
    campaign = sub.add_parser("campaign", help="call a whole list: import, list, pause, resume, cancel, export")
    campaign.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    actions = campaign.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="read a CSV list (phone, name, timezone, template fields) into a campaign")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--name", required=True, help="the campaign's name (an existing one gets the new rows)")
    imp.add_argument("--objective", required=True, metavar="TEMPLATE",
                     help='each call\'s objective, e.g. "Remind {name} that invoice {invoice} is overdue"')
    imp.add_argument("--window", metavar="HH:MM-HH:MM", help="when to call, in each callee's time zone")
    imp.add_argument("--start", metavar="WHEN", help='first calls not before (e.g. "tomorrow 9:00")')
    imp.add_argument("--deadline", metavar="WHEN", help="calls not made by then end EXPIRED")
    imp.add_argument("--max-retries", type=int, metavar="N", help="retries per callee (default calling.max_retries)")
    imp.add_argument("--concurrency", type=int, metavar="N", help="at most N of its calls at once (default: no own limit)")
    imp.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    actions.add_parser("list", help="every campaign with its progress")
    for action, words in (("pause", "no new call starts"), ("resume", "calls start again"),
                          ("cancel", "every unfinished call is cancelled")):
        actions.add_parser(action, help=f"{action} a campaign: {words}").add_argument("name", metavar="NAME")
    exp = actions.add_parser("export", help="one row per callee: status, outcome, attempts, duration, cost")
    exp.add_argument("name", metavar="NAME")
    exp.add_argument("--format", choices=("csv", "json"), default="csv")
    exp.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")


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
