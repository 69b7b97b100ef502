"""Checks before a start touches anything, each failing with one line that
names the config key, the path and what is wrong: a data folder that is a
file or read-only, a database path that is a folder, read-only or not a
database, an unsupported database URL, a missing personas file. Nothing is
created or changed here: a file that is not a database is left as it was."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from core import config as config_mod
from core.text import visible

SQLITE_HEADER = b"SQLite format 3\x00"
SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")
# engines sharing a database hold its write lock for milliseconds: this long is another program
LOCK_WAIT_S = 5.0


class PreflightError(Exception):
    """The start cannot work; the message is the one line to show."""


def check(cfg: config_mod.Config) -> None:
    s = cfg.settings
    data_dir = cfg.data_dir
    _writable_folder("app.data_dir", data_dir)
    for key, url in (("calling.calls_db_url", s.calling.calls_db_url), ("conversation.db_url", s.conversation.db_url)):
        check_database_url(key, config_mod.sqlite_path(url, cfg.base_dir))
    if cfg.mode == "simulate":
        personas = cfg.resolve_path(s.sim.personas_file)
        if not personas.is_file():
            raise PreflightError(f"sim.personas_file: {personas} does not exist"
                                 + (" (it is a folder)" if personas.is_dir() else ""))


def check_database_url(key: str, url: str) -> None:
    if not url.startswith(SCHEMES):
        scheme = url.split(":", 1)[0] if ":" in url else url[:20]
        # the URL itself may hold a password: only its scheme is shown
        raise PreflightError(f"{key}: unsupported database {scheme!r}: use sqlite:///path/file.db "
                             "or postgresql://user@host/db")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        check_sqlite_file(key, Path(url[len("sqlite:///"):]))


def check_sqlite_file(key: str, path: Path) -> None:
    if path.is_dir():
        raise PreflightError(f"{key}: {path} is a folder, not a database file")
    if not path.exists():
        _writable_folder(key, _existing_parent(path))
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise PreflightError(f"{key}: {path} is read-only; Switchboard must write to it")
    if not os.access(path.parent, os.W_OK):
        raise PreflightError(f"{key}: the folder {path.parent} is read-only; SQLite needs it for its journal")
    with path.open("rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head and head != SQLITE_HEADER:
        raise PreflightError(f"{key}: {path} is not a SQLite database (left untouched); "
                             "move it away or point the setting at another file")
    if head:
        _not_locked(key, path)


def _not_locked(key: str, path: Path) -> None:
    """Take the write lock and give it back at once (nothing is written)."""
    conn = sqlite3.connect(path, timeout=LOCK_WAIT_S, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            raise PreflightError(f"{key}: {path}: {e}") from e
        who = "; ".join(holders(path)) or "a process this user cannot see"
        raise PreflightError(f"{key}: {path} has been locked for {LOCK_WAIT_S:g} s by {who}: "
                             "close that program (or wait for it) and start again") from e
    except sqlite3.DatabaseError as e:
        raise PreflightError(f"{key}: cannot open {path}: {e} (the file is corrupt; it was left as it is: "
                             "restore a backup or move it away)") from e
    finally:
        conn.close()


def holders(path: Path) -> list[str]:
    """Other processes with ``path`` open, as "pid N (command)" (Linux /proc)."""
    target = str(path.resolve())
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                command = " ".join((entry / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split())
                found.append(f"pid {entry.name} ({visible(command[:80])})")
        except OSError:
            continue  # gone, or not ours to look at
    return found


def _existing_parent(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path("/")


def _writable_folder(key: str, folder: Path) -> None:
    target = folder if folder.exists() else _existing_parent(folder)
    if not target.is_dir():
        raise PreflightError(f"{key}: {target} is not a folder")
    if not os.access(target, os.W_OK | os.X_OK):
        raise PreflightError(f"{key}: cannot write to {target} (read-only)")
