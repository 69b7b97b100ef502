"""`campaign import`: the file's encodings, BOM, quoted fields, blank lines,
missing columns, one row and 100,000; line-numbered refusals; exit codes
0/1/2; nothing written on 2; a re-import adds nothing; the export."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from calling.campaigns import commands
from core import cli
from core.clock import FixedClock
from store import JobStore
from tests.calling.conftest import base_settings
from tests.conftest import ROOT, fresh_pg_database

TEMPLATE = "Remind {name} that invoice {invoice} is overdue"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, sqlite_url: str):
    with ExitStack() as stack:
        url = sqlite_url if request.param == "sqlite" else stack.enter_context(fresh_pg_database("import"))
        jobs = JobStore(url)
        jobs.init_db()
        yield jobs
        jobs.close()


def run(store: JobStore, path: Path, *extra: str, name: str = "December invoices", template: str = TEMPLATE,
        settings=None):
    args = cli.parse(["campaign", "import", str(path), "--name", name, "--objective", template, *extra])
    out, err = io.StringIO(), io.StringIO()
    code = commands.run(args, store, settings or base_settings().settings, FixedClock(), out, err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: bytes | str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def numbers(n: int) -> list[str]:
    return [f"+1202{200 + i // 10000:03d}{i % 10000:04d}" for i in range(n)]


def test_bom_quoted_fields_and_blank_lines_keep_line_numbers(store, tmp_path):
    text = ("\ufeffPhone,Name,Invoice\r\n"
            "+12025550101,Akhil,1001\r\n"
            "\r\n"
            '"+1 202 555 0102","Okafor, Priya","10""02"\r\n'
            '+12025550103,"Multi\nline",1003\r\n'
            "911,Nobody,1004\r\n")
    code, out, _ = run(store, write(tmp_path, text))
    assert code == 1
    assert "6 rows read" not in out and "4 rows read, 3 imported, 1 rejected" in out
    assert "line 7: 911 is an emergency number" in out  # the quoted field spans lines 5 and 6
    jobs = {j.phone_number: j for j in store.campaign_jobs(store.campaign("December invoices").id)}
    assert jobs["+12025550102"].contact_name == "Okafor, Priya"
    assert jobs["+12025550102"].current_call_objective_description == \
        'Remind Okafor, Priya that invoice 10"02 is overdue'
    assert jobs["+12025550103"].contact_name == "Multi line"


@pytest.mark.parametrize("data, words", [
    ("phone,name,invoice\n+12025550101,Jos\xe9,1\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9 on line 2)"),
    ("phone,name,invoice\n".encode("utf-16"), "is UTF-16 text"),
    (b"", "the file is empty"),
    (b"phone,name,invoice\n\n", "no rows after the header"),
    (b"name,invoice\nAkhil,1\n", "the header has no phone column"),
    (b"phone,name,name,invoice\n+12025550101,a,b,1\n", "names name more than once"),
    (b'phone,name,invoice\n"+12025550101,Akhil,1\n', "not valid CSV"),
])
def test_unusable_files_exit_2_and_write_nothing(store, tmp_path, data, words):
    code, out, err = run(store, write(tmp_path, data))
    assert code == 2, out
    assert words in err
    assert store.list_campaigns() == [] and store.list_jobs() == []


@pytest.mark.parametrize("template, words", [
    ("Remind {name} about {invoce}", "uses {invoce}, which the file has no column for"),
    ("Remind {name.__class__}", "is not a plain column name"),
    ("Remind {name!r}", "is not a plain column name"),
    ("Remind {name", "unmatched brace"),
    ("   ", "template is empty"),
])
def test_a_bad_template_is_an_error_before_anything_is_written(store, tmp_path, template, words):
    code, _, err = run(store, write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1\n"), template=template)
    assert code == 2 and words in err
    assert store.list_campaigns() == [] and store.list_jobs() == []


def test_bad_arguments_exit_2(store, tmp_path):
    path = write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1\n")
    for extra, words in ((["--window", "9-5"], "--window"), (["--deadline", "soonish"], "--deadline"),
                         (["--start", "+2h", "--deadline", "+1h"], "is not after the start"),
                         (["--max-retries", "-1"], "--max-retries"), (["--concurrency", "0"], "--concurrency")):
        code, _, err = run(store, path, *extra)
        assert code == 2 and words in err, (extra, err)
    assert store.list_jobs() == []
    code, _, err = run(store, tmp_path / "missing.csv")
    assert code == 2 and "no such file" in err


def test_each_row_is_checked_like_a_scheduled_call(store, tmp_path):
    store.add_do_not_call("+12025550107", "asked us to stop", added_by="operator")
    from core import config as config_mod

    settings = config_mod.with_sections(base_settings(), calling={"do_not_call": ["202-555-0108"]}).settings
    text = ("phone,name,invoice,timezone\n"
            "+12025550101,Akhil,1001,America/New_York\n"   # 2 good
            "+12025550101,Akhil again,1002,\n"             # 3 the same number as line 2
            "202 555 0102,,1003,Europe/London\n"           # 4 good: no name, a local number
            "112,Emergency,1004,\n"                        # 5
            "+19005550100,Premium,1005,\n"                 # 6
            "12345,Short,1006,\n"                          # 7
            "not a number,Words,1007,\n"                   # 8
            "+12025550107,Listed,1008,\n"                  # 9 do-not-call table
            "+12025550108,Config listed,1009,\n"           # 10 calling.do_not_call
            "+12025550109,Nozone,1010,Mars/Olympus\n"      # 11
            "+12025550110,Noinvoice,,\n"                   # 12
            "+12025550111,Short row\n"                     # 13
            "+12025550112,Long row,1,UTC,extra\n"          # 14
            f"+12025550113,{'x' * 201},1,\n")              # 15
    code, out, _ = run(store, write(tmp_path, text), settings=settings)
    assert code == 1
    assert "14 rows read, 2 imported, 12 rejected" in out
    for line, words in ((3, "already on line 2"), (5, "emergency"), (6, "premium-rate"), (7, "short code"),
                        (8, "not a phone number"), (9, "do-not-call list since"), (10, "in the config"),
                        (11, "'Mars/Olympus' is not a time zone"), (12, "needs {invoice}, empty"),
                        (13, "missing invoice, timezone"), (14, "5 columns where the header has 4"),
                        (15, "the name is 201 characters long")):
        assert f"line {line}: " in out and words in out.split(f"line {line}: ", 1)[1].splitlines()[0], (line, out)
    jobs = {j.phone_number: j for j in store.campaign_jobs(store.campaign("December invoices").id)}
    assert jobs["+12025550102"].contact_name == "+12025550102"
    assert jobs["+12025550102"].timezone == "Europe/London"
    assert jobs["+12025550102"].current_call_objective_description == \
        "Remind +12025550102 that invoice 1003 is overdue"


def test_one_row_then_a_reimport_adds_nothing(store, tmp_path):
    path = write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1001\n")
    code, out, _ = run(store, path, "--window", "09:00-17:00", "--max-retries", "2", "--concurrency", "3")
    assert code == 0 and "1 row read, 1 imported, 0 rejected" in out
    assert "Remind Akhil that invoice 1001 is overdue" in out
    code, out, _ = run(store, path)
    assert code == 0 and "0 imported, 1 already in the campaign, 0 rejected" in out
    assert len(store.list_jobs()) == 1
    campaign = store.campaign("december invoices")
    assert (campaign.calling_window, campaign.max_retries, campaign.max_concurrent) == ("09:00-17:00", 2, 3)
    assert store.list_jobs()[0].max_retries == 2
    more = write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1001\n+12025550102,Priya,1002\n", "more.csv")
    code, out, _ = run(store, more)
    assert code == 0 and "1 imported, 1 already in the campaign" in out
    code, _, err = run(store, more, template="Call {name}")
    assert code == 2 and "exists with the objective" in err


def test_a_problem_late_in_the_file_rolls_the_whole_import_back(store, tmp_path):
    rows = "".join(f"{p},P{i},{i}\n" for i, p in enumerate(numbers(3000)))
    code, _, err = run(store, write(tmp_path, "phone,name,invoice\n" + rows + '"+12025550101,broken,1\n'))
    assert code == 2 and "line 3002: not valid CSV" in err
    assert store.list_campaigns() == [] and store.list_jobs() == []


def test_nothing_new_goes_into_a_finished_campaign(store, tmp_path):
    assert run(store, write(tmp_path, "phone,name,invoice\n+12025550101,Akhil\x00,1\n"))[0] == 0
    assert store.list_jobs()[0].contact_name == "Akhil\u2400"  # NUL kept visibly, as everywhere
    store.cancel_campaign("December invoices")
    more = write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1\n+12025550102,Priya,2\n", "more.csv")
    code, _, err = run(store, more)
    assert code == 2 and "is cancelled; import the new rows under another --name" in err
    assert len(store.list_jobs()) == 1
    code, out, _ = run(store, write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1\n", "same.csv"))
    assert code == 0 and "1 already in the campaign" in out


def test_dry_run_writes_nothing(store, tmp_path):
    code, out, _ = run(store, write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1\n911,X,2\n"), "--dry-run")
    assert code == 1 and "1 would import" in out and "dry run: nothing written" in out
    assert store.list_campaigns() == [] and store.list_jobs() == []


def test_every_line_rejected_writes_nothing_and_exits_2(store, tmp_path):
    code, out, _ = run(store, write(tmp_path, "phone,name,invoice\n911,X,1\n"))
    assert code == 2 and "0 imported, 1 rejected" in out and "line 2: 911 is an emergency number" in out
    assert store.list_campaigns() == []


@pytest.mark.timeout(300)
def test_100000_rows_import_once_in_one_go(store, tmp_path):
    lines = ["phone,name,invoice"] + [f"{p},Person {i},{i}" for i, p in enumerate(numbers(100_000))]
    path = write(tmp_path, "\n".join(lines) + "\n")
    t0 = time.monotonic()
    code, out, _ = run(store, path)
    took = time.monotonic() - t0
    assert code == 0 and "100000 rows read, 100000 imported, 0 rejected" in out
    assert store.count_campaign_jobs(store.campaign("December invoices").id) == 100_000
    assert took < 60  # the figure is bench_campaign's; this only catches a pathological slowdown
    code, out, _ = run(store, path)
    assert code == 0 and "100000 already in the campaign" in out


def test_export_one_row_per_callee_without_secrets(store, tmp_path):
    path = write(tmp_path, 'phone,name,invoice\n+12025550101,"=HYPERLINK(""x"")",1\n+12025550102,Priya\x07,2\n')
    assert run(store, path)[0] == 0
    campaign = store.campaign("December invoices")
    job = store.campaign_jobs(campaign.id)[0]
    store.update_job(job.id, lease_owner="engine-secret", cost_estimate_usd=0.5)
    out = io.StringIO()
    args = cli.parse(["campaign", "export", "december invoices", "--format", "csv"])
    assert commands.run(args, store, base_settings().settings, FixedClock(), out, io.StringIO()) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["phone_number"] for r in rows] == ["+12025550101", "+12025550102"]
    assert rows[0]["contact_name"].startswith("'=") and rows[0]["cost_usd"] == "0.5"
    assert rows[1]["contact_name"] == "Priya\\x07"
    assert "engine-secret" not in out.getvalue() and "lease" not in out.getvalue()
    target = tmp_path / "out" / "campaign.json"
    args = cli.parse(["campaign", "export", "December invoices", "--format", "json", "--out", str(target)])
    assert commands.run(args, store, base_settings().settings, FixedClock(), io.StringIO(), io.StringIO()) == 0
    data = json.loads(target.read_text())
    assert data[0]["attempts"] == 0 and data[0]["overall_status"] == "PENDING"
    args = cli.parse(["campaign", "export", "nope"])
    err = io.StringIO()
    assert commands.run(args, store, base_settings().settings, FixedClock(), io.StringIO(), err) == 2
    assert "No campaign named 'nope'" in err.getvalue()


def test_the_command_line_end_to_end(tmp_path):
    path = write(tmp_path, "phone,name,invoice\n+12025550101,Akhil,1001\n+12025550102,Priya,1002\n")
    env_args = [sys.executable, str(ROOT / "app.py"), "--config", str(ROOT / "config.toml")]
    env = {"SWITCHBOARD__APP__DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}

    def app(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([*env_args, *argv], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    done = app("campaign", "import", str(path), "--name", "Dec", "--objective", TEMPLATE)
    assert done.returncode == 0, done.stderr
    assert "2 imported" in done.stdout
    assert app("campaign", "pause", "Dec").returncode == 0
    listed = app("campaign", "list")
    assert "Dec: paused, 0/2 done" in listed.stdout
    again = app("campaign", "pause", "Dec")
    assert again.returncode == 2 and "already paused" in again.stderr
    assert app("campaign", "resume", "Dec").returncode == 0
    cancelled = app("campaign", "cancel", "Dec")
    assert cancelled.returncode == 0 and "2 unfinished calls cancelled" in cancelled.stdout
    assert app("campaign", "export", "Dec", "--format", "json").stdout.count('"CANCELLED"') == 2
