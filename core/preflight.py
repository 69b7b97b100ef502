"""Checks before a start touches anything, each failing with one line that
names the config key, the path and what is wrong: a data folder that is a
file or read-only, a database path that is a folder, read-only or not a
database, an unsupported database URL, a missing personas file. Nothing is
created or changed here: a file that is not a database is left as it was."""
from __future__ import annotations

import os
from pathlib import Path

from core import config as config_mod

SQLITE_HEADER = b"SQLite format 3\x00"
SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")


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
