"""Schema migrations, one function per version. Append; never edit a
released step. Timestamps are ISO-8601 UTC text ("2026-01-05T10:00:00.000Z"),
which sorts correctly and reads the same on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa


def _pk(conn: sa.Connection) -> str:
    return "SERIAL PRIMARY KEY" if conn.dialect.name == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"


def calls_v1(conn: sa.Connection) -> None:
    pk = _pk(conn)
    conn.execute(sa.text(f"""
        CREATE TABLE scheduled_calls (
            id {pk},
            phone_number TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            initial_call_objective_description TEXT NOT NULL,
            current_call_objective_description TEXT NOT NULL,
            overall_status VARCHAR(32) NOT NULL,
            retries_attempted INTEGER NOT NULL DEFAULT 0,
            max_retries INTEGER NOT NULL,
            next_retry_at VARCHAR(32),
            final_summary_for_main_agent TEXT,
            main_agent_informed_user BOOLEAN NOT NULL DEFAULT FALSE,
            created_at VARCHAR(32) NOT NULL,
            updated_at VARCHAR(32) NOT NULL,
            timezone TEXT,
            lease_owner TEXT,
            lease_expires_at VARCHAR(32),
            cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
            cancel_reason TEXT,
            update_dismissed BOOLEAN NOT NULL DEFAULT FALSE,
            informed_at VARCHAR(32),
            last_error TEXT,
            cost_estimate_usd REAL NOT NULL DEFAULT 0
        )"""))
    conn.execute(sa.text(
        "CREATE INDEX ix_calls_due ON scheduled_calls (overall_status, next_retry_at)"))
    conn.execute(sa.text(
        "CREATE INDEX ix_calls_updated ON scheduled_calls (updated_at)"))
    conn.execute(sa.text(f"""
        CREATE TABLE call_attempts (
            id {pk},
            job_id INTEGER NOT NULL REFERENCES scheduled_calls(id),
            attempt_number INTEGER NOT NULL,
            started_at VARCHAR(32) NOT NULL,
            ended_at VARCHAR(32),
            ultravox_call_id TEXT,
            twilio_call_sid TEXT,
            end_reason TEXT,
            transcript TEXT,
            attempt_outcome TEXT,
            strategist_reasoning_for_attempt TEXT,
            error_details TEXT,
            objective TEXT,
            phase VARCHAR(32) NOT NULL DEFAULT 'CREATED',
            twilio_status TEXT,
            answered_by TEXT,
            duration_s REAL,
            summary TEXT,
            decision_source TEXT,
            engine_id TEXT,
            UNIQUE (job_id, attempt_number)
        )"""))
    conn.execute(sa.text("CREATE INDEX ix_attempts_job ON call_attempts (job_id)"))


def conversation_v1(conn: sa.Connection) -> None:
    pk = _pk(conn).replace("id ", "")
    conn.execute(sa.text(f"""
        CREATE TABLE conversation_turns (
            turn_id {pk},
            session_id TEXT NOT NULL,
            timestamp VARCHAR(32) NOT NULL,
            role VARCHAR(16) NOT NULL,
            content TEXT NOT NULL,
            item_id TEXT
        )"""))
    conn.execute(sa.text("CREATE INDEX ix_turns_time ON conversation_turns (timestamp, turn_id)"))
    conn.execute(sa.text("CREATE INDEX ix_turns_session ON conversation_turns (session_id, timestamp)"))
    conn.execute(sa.text(f"""
        CREATE TABLE conversation_summaries (
            id {pk},
            created_at VARCHAR(32) NOT NULL,
            upto_turn_id INTEGER NOT NULL,
            summary TEXT NOT NULL
        )"""))


def calls_v2(conn: sa.Connection) -> None:
    # the Ultravox joinUrl, so a crash between creating the call and dialing can still dial it
    conn.execute(sa.text("ALTER TABLE call_attempts ADD COLUMN join_url TEXT"))
    conn.execute(sa.text("CREATE INDEX ix_attempts_twilio ON call_attempts (twilio_call_sid)"))
    conn.execute(sa.text("CREATE INDEX ix_calls_phone ON scheduled_calls (phone_number)"))


def calls_v3(conn: sa.Connection) -> None:
    # claim_next seeks each kind of due job on its own index (see JobStore.claim_next);
    # ix_calls_claim has ix_calls_due's columns plus id, so it replaces it
    conn.execute(sa.text("DROP INDEX ix_calls_due"))
    conn.execute(sa.text("CREATE INDEX ix_calls_claim ON scheduled_calls (overall_status, next_retry_at, id)"))
    conn.execute(sa.text("CREATE INDEX ix_calls_lease ON scheduled_calls (overall_status, lease_expires_at)"))


def calls_v4(conn: sa.Connection) -> None:
    # numbers never to dial again (the callee asked, or the operator listed them);
    # merged with calling.do_not_call from the config
    conn.execute(sa.text(f"""
        CREATE TABLE do_not_call (
            id {_pk(conn)},
            phone_number TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL,
            job_id INTEGER,
            added_at VARCHAR(32) NOT NULL,
            added_by TEXT NOT NULL
        )"""))
    # what this attempt cost (its duration at the configured per-minute rates)
    conn.execute(sa.text("ALTER TABLE call_attempts ADD COLUMN cost_usd REAL"))


def calls_v5(conn: sa.Connection) -> None:
    # where the call's recording can be fetched (Ultravox keeps it; we keep its address)
    conn.execute(sa.text("ALTER TABLE call_attempts ADD COLUMN recording_url TEXT"))


def calls_v6(conn: sa.Connection) -> None:
    # which process's assistant is to tell a finished job's outcome, until when (JobStore.pending_updates)
    conn.execute(sa.text("ALTER TABLE scheduled_calls ADD COLUMN teller TEXT"))
    conn.execute(sa.text("ALTER TABLE scheduled_calls ADD COLUMN teller_until VARCHAR(32)"))


def calls_v7(conn: sa.Connection) -> None:
    # a campaign: one list of callees with one objective template, a window, a start, a deadline
    # and its own share of the calls in flight (store/campaigns.py)
    conn.execute(sa.text(f"""
        CREATE TABLE campaigns (
            id {_pk(conn)},
            name TEXT NOT NULL UNIQUE,
            objective_template TEXT NOT NULL,
            status VARCHAR(16) NOT NULL,
            calling_window VARCHAR(16),
            start_at VARCHAR(32),
            deadline_at VARCHAR(32),
            max_retries INTEGER NOT NULL,
            max_concurrent INTEGER,
            source_file TEXT,
            created_at VARCHAR(32) NOT NULL,
            updated_at VARCHAR(32) NOT NULL,
            finished_at VARCHAR(32),
            summary_job_id INTEGER
        )"""))
    conn.execute(sa.text("ALTER TABLE scheduled_calls ADD COLUMN campaign_id INTEGER REFERENCES campaigns(id)"))
    # one callee once per campaign (a re-import adds nothing); single calls (NULL) are not affected
    conn.execute(sa.text("CREATE UNIQUE INDEX ux_calls_campaign_phone ON scheduled_calls (campaign_id, phone_number)"))
    # claims seek single calls (campaign_id IS NULL) and each campaign's due jobs on their own
    conn.execute(sa.text(
        "CREATE INDEX ix_calls_campaign_claim ON scheduled_calls (campaign_id, overall_status, next_retry_at, id)"))


def calls_v8(conn: sa.Connection) -> None:
    # single calls' claims on an index of their own: the planner takes it even before
    # statistics know a fresh import put 100,000 campaign jobs beside them
    conn.execute(sa.text("CREATE INDEX ix_calls_single_claim ON scheduled_calls (overall_status, next_retry_at, id)"
                         " WHERE campaign_id IS NULL"))


def calls_v9(conn: sa.Connection) -> None:
    # the operator asked to hang up the live call without cancelling the job; cleared when the attempt ends
    conn.execute(sa.text("ALTER TABLE scheduled_calls ADD COLUMN hangup_requested BOOLEAN NOT NULL DEFAULT FALSE"))
    # the key of the request that created the job: a request held while the database could not write
    # (store/errors.py passes) is written again with it, and lands once
    conn.execute(sa.text("ALTER TABLE scheduled_calls ADD COLUMN request_key TEXT"))
    conn.execute(sa.text("CREATE UNIQUE INDEX ux_calls_request_key ON scheduled_calls (request_key)"))


CALLS_MIGRATIONS = [calls_v1, calls_v2, calls_v3, calls_v4, calls_v5, calls_v6, calls_v7, calls_v8,
                    calls_v9]
CONVERSATION_MIGRATIONS = [conversation_v1]
