"""Campaigns: one list of callees called with one objective template, in a
window (each callee's local time), from a start, until a deadline, with
their own share of the calls in flight. Part of JobStore.

A campaign's jobs are ordinary ``scheduled_calls`` rows with
``campaign_id`` set: the engine runs them like any call (the gate, pacing,
the provider limits). They are not told one by one: when the campaign ends,
one summary job (``campaign_id`` NULL, linked by
``campaigns.summary_job_id``, created finished) carries its outcome to the
assistant like any other outcome (docs/architecture.md, "Campaigns")."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterable, Mapping, Self

import sqlalchemy as sa

from core.events import CampaignChanged
from core.records import ACTIVE, FINISHED
from store.db import transaction, without_nul


class CampaignStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"  # its unfinished jobs were cancelled; the summary follows once none is in flight
    FINISHED = "FINISHED"


class CampaignError(ValueError):
    """A campaign action that cannot be done; the message is fit for the user."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Campaign:
    """A row of ``campaigns``."""
    id: int
    name: str
    objective_template: str
    status: CampaignStatus
    max_retries: int
    created_at: str
    updated_at: str
    calling_window: str | None = None  # "HH:MM-HH:MM" in each callee's time zone
    start_at: str | None = None
    deadline_at: str | None = None
    max_concurrent: int | None = None  # its share of the calls in flight (None: only the global limits)
    source_file: str | None = None
    finished_at: str | None = None
    summary_job_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", CampaignStatus(self.status))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CAMPAIGN_FIELDS = ("name", "objective_template", "status", "calling_window", "start_at", "deadline_at",
                   "max_retries", "max_concurrent", "source_file")
ACTIVE_JOB = "('PENDING', 'PROCESSING', 'RETRY_SCHEDULED')"
IMPORT_CHUNK = 1000  # rows per INSERT (11 parameters each: well inside SQLite's limit)
ANALYZE_AFTER = 1000  # rows an import adds before PostgreSQL's statistics are refreshed at once


class Campaigns:
    """Part of JobStore, which provides db, clock, bus and is_postgres."""

    def _announce_campaign(self, campaign: Campaign) -> Campaign:
        if self.bus is not None:
            self.bus.publish(CampaignChanged(campaign=campaign.to_dict()))
        return campaign

    # --- reading ----------------------------------------------------------------

    def campaign(self, name: str) -> Campaign | None:
        """By exact name, case-insensitive."""
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM campaigns WHERE LOWER(name) = :n ORDER BY id LIMIT 1"),
                               {"n": name.strip().lower()}).mappings().first()
        return Campaign.from_row(row) if row else None

    def campaign_by_id(self, campaign_id: int) -> Campaign | None:
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM campaigns WHERE id = :i"), {"i": campaign_id}).mappings().first()
        return Campaign.from_row(row) if row else None

    def list_campaigns(self) -> list[Campaign]:
        """Newest first."""
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text("SELECT * FROM campaigns ORDER BY id DESC")).mappings()
            return [Campaign.from_row(r) for r in rows]

    def runnable_campaigns(self) -> list[Campaign]:
        """Campaigns whose jobs may be claimed now: active, started, before their deadline."""
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text(
                "SELECT * FROM campaigns WHERE status = 'ACTIVE' AND (start_at IS NULL OR start_at <= :t)"
                " AND (deadline_at IS NULL OR deadline_at > :t) ORDER BY id"), {"t": now}).mappings()
            return [Campaign.from_row(r) for r in rows]

    def campaign_phones(self, campaign_id: int) -> set[str]:
        """The numbers a campaign already calls (a re-import adds none of them)."""
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text("SELECT phone_number FROM scheduled_calls WHERE campaign_id = :c"),
                                {"c": campaign_id})
            return {r[0] for r in rows}

    # --- importing -----------------------------------------------------------------

    def import_campaign(self, spec: Mapping[str, Any],
                        rows: Iterable[Mapping[str, Any]]) -> tuple[Campaign | None, int]:
        """Create the campaign ``spec`` names (or take the existing one) and
        add its jobs, in one transaction. Each row has ``phone_number`` (E.164),
        ``contact_name``, ``objective`` and ``timezone`` (or None); a number the
        campaign already calls is skipped. ``rows`` may be a generator that
        checks each row as it is taken: an exception from it rolls everything
        back. Returns the campaign and how many jobs were added (None, 0: a new
        campaign with no row is not created). No job events: views page the
        rows from the store."""
        unknown = set(spec) - set(CAMPAIGN_FIELDS)
        if unknown:
            raise ValueError(f"unknown campaign fields: {sorted(unknown)}")
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            lock = " FOR UPDATE" if self.is_postgres else ""  # one import into a campaign at a time
            row = conn.execute(sa.text(f"SELECT * FROM campaigns WHERE name = :n{lock}"),
                               {"n": spec["name"]}).mappings().first()
            created = row is None
            if created:
                values = {k: spec.get(k) for k in CAMPAIGN_FIELDS}
                values["status"] = values["status"] or CampaignStatus.ACTIVE.value
                cols = ", ".join(CAMPAIGN_FIELDS)
                row = conn.execute(sa.text(
                    f"INSERT INTO campaigns ({cols}, created_at, updated_at)"
                    f" VALUES ({', '.join(':' + k for k in CAMPAIGN_FIELDS)}, :t, :t) RETURNING *"),
                    dict(values, t=now)).mappings().one()
            campaign = Campaign.from_row(row)
            shared = {"c": campaign.id, "m": campaign.max_retries, "t": now, "s": campaign.start_at}
            if self.is_postgres:
                have = set() if created else {r[0] for r in conn.execute(
                    sa.text("SELECT phone_number FROM scheduled_calls WHERE campaign_id = :c"), {"c": campaign.id})}
                added = self._copy_in(conn, rows, shared, have)
            else:
                before = self._campaign_size(conn, campaign.id)
                chunk: list[Mapping[str, Any]] = []
                for row in rows:
                    chunk.append(row)
                    if len(chunk) == IMPORT_CHUNK:
                        self._insert_chunk(conn, chunk, shared)
                        chunk = []
                if chunk:
                    self._insert_chunk(conn, chunk, shared)
                added = self._campaign_size(conn, campaign.id) - before
            if created and not added:
                conn.rollback()
                return None, 0
            if added:
                campaign = Campaign.from_row(conn.execute(
                    sa.text("UPDATE campaigns SET updated_at = :t WHERE id = :c RETURNING *"),
                    {"t": now, "c": campaign.id}).mappings().one())
        if self.is_postgres and added >= ANALYZE_AFTER:
            with transaction(self.db) as conn:
                conn.execute(sa.text("ANALYZE scheduled_calls"))  # plans that know the new rows, now
        self._announce_campaign(campaign)
        return campaign, added

    @staticmethod
    def _campaign_size(conn: sa.Connection, campaign_id: int) -> int:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM scheduled_calls WHERE campaign_id = :c"),
                                {"c": campaign_id}).scalar_one())

    @staticmethod
    def _insert_chunk(conn: sa.Connection, chunk: list[Mapping[str, Any]], shared: dict[str, Any]) -> None:
        # one multi-row INSERT a chunk, on the driver (positional parameters): SQLAlchemy's
        # text() would parse and cache-key thousands of named parameters each time
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        row = f"({', '.join([mark] * 4)}, 'PENDING', 0, {', '.join([mark] * 7)})"
        params: list[Any] = []
        for callee in chunk:
            params += (callee["phone_number"], callee["contact_name"], callee["objective"], callee["objective"],
                       shared["m"], False, shared["t"], shared["t"], callee.get("timezone"), shared["s"], shared["c"])
        conn.exec_driver_sql(
            "INSERT INTO scheduled_calls (phone_number, contact_name, initial_call_objective_description,"
            " current_call_objective_description, overall_status, retries_attempted, max_retries,"
            " main_agent_informed_user, created_at, updated_at, timezone, next_retry_at, campaign_id)"
            f" VALUES {', '.join([row] * len(chunk))} ON CONFLICT (campaign_id, phone_number) DO NOTHING",
            tuple(params))

    @staticmethod
    def _copy_in(conn: sa.Connection, rows: Iterable[Mapping[str, Any]], shared: dict[str, Any],
                 have: set[str]) -> int:
        """PostgreSQL: COPY straight into the table, so the server files each row
        while the next is checked. The campaign's row is locked, so ``have``
        (its numbers) stays true; COPY bypasses the statement hook, so NUL is
        marked here."""
        cursor = conn.connection.dbapi_connection.cursor()  # the same connection, in this transaction
        added = 0
        with cursor.copy(
                "COPY scheduled_calls (phone_number, contact_name, initial_call_objective_description,"
                " current_call_objective_description, overall_status, retries_attempted, max_retries,"
                " main_agent_informed_user, created_at, updated_at, timezone, next_retry_at, campaign_id)"
                " FROM STDIN") as copy:
            for row in rows:
                phone = without_nul(row["phone_number"])
                if phone in have:
                    continue
                have.add(phone)
                objective = without_nul(row["objective"])
                copy.write_row((phone, without_nul(row["contact_name"]), objective, objective, "PENDING", 0,
                                shared["m"], False, shared["t"], shared["t"], without_nul(row.get("timezone")),
                                shared["s"], shared["c"]))
                added += 1
        return added

    # --- the operator ----------------------------------------------------------------

    def _require(self, name: str) -> Campaign:
        campaign = self.campaign(name)
        if campaign is None:
            known = ", ".join(c.name for c in self.list_campaigns()[:10]) or "none yet"
            raise CampaignError(f"No campaign named {name!r} (campaigns: {known}).")
        return campaign

    def _set_status(self, name: str, to: CampaignStatus, allowed: tuple[CampaignStatus, ...],
                    verb: str) -> Campaign:
        campaign = self._require(name)
        with transaction(self.db) as conn:
            row = conn.execute(sa.text(
                "UPDATE campaigns SET status = :to, updated_at = :t WHERE id = :c AND status IN ("
                + ", ".join(f"'{s.value}'" for s in allowed) + ") RETURNING *"),
                {"to": to.value, "t": self.clock.now_iso(), "c": campaign.id}).mappings().first()
        if row is None:
            now = self.campaign_by_id(campaign.id) or campaign
            state = now.status.value.lower()
            if now.status == to:
                raise CampaignError(f"Campaign {now.name!r} is already {state}.")
            raise CampaignError(f"Campaign {now.name!r} is {state}; it cannot be {verb}.")
        return self._announce_campaign(Campaign.from_row(row))

    def pause_campaign(self, name: str) -> Campaign:
        """No new call of the campaign starts; calls in flight finish."""
        return self._set_status(name, CampaignStatus.PAUSED, (CampaignStatus.ACTIVE,), "paused")

    def resume_campaign(self, name: str) -> Campaign:
        return self._set_status(name, CampaignStatus.ACTIVE, (CampaignStatus.PAUSED,), "resumed")

    def cancel_campaign(self, name: str, reason: str | None = None) -> tuple[Campaign, int]:
        """Cancel every unfinished job of the campaign (a live call is hung up by
        its engine, as for a single cancel); returns the campaign and how many
        jobs were cancelled. The summary follows once no call is in flight."""
        campaign = self._require(name)
        reason = reason or f"campaign {campaign.name} cancelled by the operator"
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            row = conn.execute(sa.text(
                "UPDATE campaigns SET status = 'CANCELLED', updated_at = :t WHERE id = :c"
                " AND status IN ('ACTIVE', 'PAUSED') RETURNING *"), {"t": now, "c": campaign.id}).mappings().first()
            if row is None:
                raise CampaignError(f"Campaign {campaign.name!r} is already {campaign.status.value.lower()}.")
            # the feed carries these rows to every view (no event per job from here)
            result = conn.execute(sa.text(
                "UPDATE scheduled_calls SET"
                " overall_status = CASE WHEN overall_status = 'PROCESSING' THEN overall_status ELSE 'CANCELLED' END,"
                " cancel_requested = TRUE, cancel_reason = :r, updated_at = :t, next_retry_at = NULL,"
                " final_summary_for_main_agent = CASE WHEN overall_status = 'PROCESSING'"
                "   THEN final_summary_for_main_agent ELSE :r END"
                f" WHERE campaign_id = :c AND overall_status IN {ACTIVE_JOB}"),
                {"r": reason, "t": now, "c": campaign.id})
        return self._announce_campaign(Campaign.from_row(row)), int(result.rowcount or 0)
