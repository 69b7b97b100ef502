"""Exports of hostile jobs: no cell a spreadsheet would run as a formula, no
raw control character, no credential-bearing or internal column, and the
columns in an order a reader wants."""
from __future__ import annotations

import csv
import json

import pytest

from calling.export import ATTEMPT_COLUMNS, JOB_COLUMNS, export
from core.clock import FixedClock
from store import JobStore
from tests.hostile.attacks import ATTACKS, HYPERLINK, RAW_CONTROLS, SUM

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INTERNAL = {"lease_owner", "lease_expires_at", "engine_id", "phase", "join_url"}
JOIN_URL = "wss://uv.example/calls/c1/join?token=uvsecret123"


@pytest.fixture
def jobs(sqlite_url):
    store = JobStore(sqlite_url, clock=FixedClock())
    store.init_db()
    for i, attack in enumerate(ATTACKS.values()):
        job = store.create_job(f"+1202555{i + 100:04d}", attack, f"{attack}", max_retries=3)
        store.update_job(job.id, lease_owner="engine-1", final_summary_for_main_agent=attack)
        attempt = store.start_attempt(job.id, 1, attack, "engine-1")
        store.update_attempt(attempt.id, join_url=JOIN_URL, summary=attack, error_details=attack,
                             transcript=json.dumps([{"role": "MESSAGE_ROLE_USER", "text": attack}]))
    yield store
    store.close()


def test_csv_cells_never_start_a_formula(jobs, tmp_path):
    for path in export(jobs, tmp_path, "csv"):
        for row in csv.reader(path.open(newline="", encoding="utf-8")):
            for cell in row:
                assert not cell.startswith(FORMULA_START) or cell.lstrip("+-").replace(".", "").isdigit(), cell
                assert not any(c in cell for c in RAW_CONTROLS), cell
    text = (tmp_path / "jobs.csv").read_text(encoding="utf-8")
    assert "'" + HYPERLINK.replace('"', '""') in text and "'" + SUM in text  # neutralised, not lost
    assert "+12025550100" in text  # a phone number stays a phone number


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_drop_credentials_and_internal_fields(jobs, tmp_path, fmt):
    paths = export(jobs, tmp_path, fmt)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "uvsecret123" not in text and "join" not in text.split("\n", 1)[0]
        assert not any(c in text for c in RAW_CONTROLS)
    header = (tmp_path / f"jobs.{fmt}").read_text(encoding="utf-8")
    for name in INTERNAL:
        assert f'"{name}"' not in header and f",{name}," not in header


def test_columns_come_in_a_useful_order():
    assert JOB_COLUMNS[:4] == ["id", "contact_name", "phone_number", "overall_status"]
    assert ATTEMPT_COLUMNS[:3] == ["id", "job_id", "attempt_number"]
    assert not INTERNAL & set(JOB_COLUMNS + ATTEMPT_COLUMNS)
    assert ATTEMPT_COLUMNS[-1] == "transcript"
