"""On PostgreSQL every change to a job row is announced at commit with
``NOTIFY switchboard_calls, '<job id>'`` by a trigger, so every process's
change feed (store/feed.py) hears it, whoever wrote it: an engine, a
console, the mirror, a script. Its own schema component ("feed")."""
from __future__ import annotations

import sqlalchemy as sa

CHANNEL = "switchboard_calls"


def _notify_trigger(conn: sa.Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite's feed reads PRAGMA data_version instead
    conn.execute(sa.text(f"""
        CREATE OR REPLACE FUNCTION switchboard_notify_call() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', NEW.id::text);
            RETURN NULL;
        END $$ LANGUAGE plpgsql"""))
    conn.execute(sa.text(
        "CREATE TRIGGER scheduled_calls_notify_insert AFTER INSERT ON scheduled_calls"
        " FOR EACH ROW EXECUTE FUNCTION switchboard_notify_call()"))
    # every change a view shows moves updated_at; a lease renewal alone does not
    conn.execute(sa.text(
        "CREATE TRIGGER scheduled_calls_notify_update AFTER UPDATE ON scheduled_calls"
        " FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)"
        " EXECUTE FUNCTION switchboard_notify_call()"))


FEED_MIGRATIONS = [_notify_trigger]
