"""The feed over a PostgreSQL server that restarts in the middle: a console
that lost its LISTEN connection re-syncs what it missed, losing no change."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy.exc

from store import JobStore
from tests.conftest import need
from tests.feed.conftest import console_env, job_state
from tests.helpers import wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A PostgreSQL cluster of our own, in a temporary folder, on its own port."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            need("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = Path(found[-1]).parent
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="sb-pg-"))
        self.data = self.folder / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.folder / "log"),
                  "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def own_postgres() -> Iterator[PgServer]:
    server = PgServer()
    try:
        server.init()
        server.start()
        yield server
        server.stop()
    finally:
        subprocess.run([*server.as_user, str(server.bin / "pg_ctl"), "-D", str(server.data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        server.remove()


def _retrying(fn, what: str):  # type: ignore[no-untyped-def]
    """The writer is another client: it retries while the server is away."""
    return wait_for(lambda: _attempt(fn), 60, what=what)


def _attempt(fn):  # type: ignore[no-untyped-def]
    try:
        return fn() or True
    except sqlalchemy.exc.OperationalError:
        time.sleep(0.1)
        return None


@pytest.mark.timeout(180)
def test_the_feed_recovers_from_a_postgresql_restart_without_losing_a_change(sims, tmp_path, consoles):
    with own_postgres() as pg:
        writer = JobStore(pg.url)
        writer.init_db()
        try:
            console = consoles(console_env(sims, pg.url, tmp_path / "c", engine=False), tmp_path / "c", "console")
            console.wait_for("voice_state", lambda e: e["state"] == "connected", timeout=60)
            before = [writer.create_job("+12025550101", f"Person {i}", "before", max_retries=1).id
                      for i in range(10)]
            wait_for(lambda: all(job_state(console, i) for i in before), 10, what="the first jobs in the console")

            pg.stop()
            time.sleep(0.5)  # the console's listener notices its connection is gone
            pg.start()
            # changes made at once, while the listener may still be reconnecting
            after = [_retrying(lambda i=i: writer.create_job("+12025550103", f"Later {i}", "after", max_retries=1),
                               "a write after the restart").id for i in range(10)]
            for job_id in before[:5]:
                writer.update_job(job_id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="done")

            assert len(writer.list_jobs(limit=100)) == 20

            def behind() -> dict[int, tuple[str | None, str]]:
                # the database as it is now (the console's own assistant may tell finished jobs meanwhile)
                return {row.id: ((job_state(console, row.id) or {}).get("updated_at"), row.updated_at)
                        for row in writer.list_jobs(limit=100)
                        if (job_state(console, row.id) or {}).get("updated_at") != row.updated_at}

            try:
                wait_for(lambda: not behind(), 15, what="the console to hold every job's latest version")
            except AssertionError:
                raise AssertionError(f"the console is behind on {behind()}") from None
            for job_id in before[:5]:
                assert console.of("call_job_updated", lambda e, j=job_id: e["job"]["id"] == j
                                  and e["job"]["overall_status"] == "COMPLETED_SUCCESS")
                assert len(console.of("new_call_update_available", lambda e, j=job_id: e["job_id"] == j)) <= 1
            assert all(len(console.of("call_job_updated", lambda e, j=job_id: e["job"]["id"] == j)) == 1
                       for job_id in after), "each new job shown once"
            assert console.stop() == 0
        finally:
            writer.close()
