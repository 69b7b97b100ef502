"""A start that cannot work ends at once with status 2 and one line that
says what and where, touching nothing: data_dir a file or read-only, a
SQLite path that is a folder or read-only, a file that is not a database,
an unsupported database URL, a missing personas file."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
NOT_A_DB = b"this is not a database, just text " * 200


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD__", "OPENAI_"))}
    full.update({"SWITCHBOARD__APP__DATA_DIR": str(tmp_path / "data"),
                 "SWITCHBOARD__CALLING__CALLS_DB_URL": f"sqlite:///{tmp_path / 'data' / 'calls.db'}",
                 "SWITCHBOARD__CONVERSATION__DB_URL": f"sqlite:///{tmp_path / 'data' / 'conversation.db'}"})
    full.update(env)
    return subprocess.run([sys.executable, str(ROOT / "app.py"), "--config", str(ROOT / "config.toml"),
                           "--headless", "--exit-on-eof", "--no-mirror",
                           "--mode", "simulate"], input="", capture_output=True, text=True, timeout=60, env=full,
                          cwd=tmp_path)


def one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_data_dir_is_a_file(tmp_path):
    (tmp_path / "data").write_text("x")
    one_clear_line(run(tmp_path), "data_dir", "not a folder")
    assert (tmp_path / "data").read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_data_dir_is_read_only(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        one_clear_line(run(tmp_path), "data_dir", "cannot write")
    finally:
        (tmp_path / "data").chmod(0o700)


def test_sqlite_path_is_a_folder(tmp_path):
    (tmp_path / "data" / "calls.db").mkdir(parents=True)
    one_clear_line(run(tmp_path), "calling.calls_db_url", "folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_sqlite_file_is_read_only(tmp_path):
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "calls.db"
    import sqlite3
    sqlite3.connect(db).close()
    db.chmod(stat.S_IRUSR)
    try:
        one_clear_line(run(tmp_path), "calling.calls_db_url", "read-only")
    finally:
        db.chmod(0o600)


def test_sqlite_file_is_not_a_database(tmp_path):
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "calls.db"
    db.write_bytes(NOT_A_DB)
    one_clear_line(run(tmp_path), "calling.calls_db_url", "not a SQLite database")
    assert db.read_bytes() == NOT_A_DB  # never touched
    assert not (tmp_path / "data" / "calls.db-wal").exists()


def test_unsupported_database_url(tmp_path):
    one_clear_line(run(tmp_path, SWITCHBOARD__CALLING__CALLS_DB_URL="mysql://u@h/db"),
                   "calling.calls_db_url", "mysql", "sqlite", "postgresql")


def test_missing_personas_file(tmp_path):
    one_clear_line(run(tmp_path, SWITCHBOARD__SIM__PERSONAS_FILE=str(tmp_path / "nobody.toml")),
                   "sim.personas_file", "nobody.toml")


def test_sqlite_file_is_corrupt(tmp_path):
    import sqlite3

    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "calls.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.close()
    raw = bytearray(db.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the schema page, wrecked
    db.write_bytes(bytes(raw))
    one_clear_line(run(tmp_path), "calling.calls_db_url", "corrupt")
    assert db.read_bytes() == bytes(raw)


def test_a_database_locked_by_another_process_names_it(tmp_path):
    import sqlite3
    import time

    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "calls.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE other_program (x TEXT)")
    conn.close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\nprint('held', flush=True)\ntime.sleep(120)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        line = one_clear_line(run(tmp_path), "calling.calls_db_url", "locked", f"pid {holder.pid}")
        assert time.monotonic() - started < 30, line
    finally:
        holder.kill()
        holder.wait()
