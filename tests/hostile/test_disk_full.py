"""With the disk full, what the user typed is not lost without a word: the
turn still shows, the console/mirror/headless get an error notice that says
the disk is full, a tool that cannot write says so to the assistant, and the
unsaved turn is written once space returns; the assistant's call request is
held and saved once when space returns (the console's form keeps what was
typed instead, for the operator to send again)."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from calling.held_requests import RETRY_EVERY_S
from core.clock import SystemClock
from core.runtime import Runtime
from tests.conftest import need
from tests.helpers import Recorder, wait_for
from tests.tui.conftest import load_config


SIZE = "8m"


@pytest.fixture
def small_disk(tmp_path: Path):
    """The data folder on a filesystem of its own, small enough to fill."""
    data = tmp_path / "data"
    data.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(data)], capture_output=True)
    if done.returncode != 0:
        need(f"a small filesystem to fill (mount tmpfs needs root): {done.stderr.decode().strip()}")
    yield data
    subprocess.run(["umount", "-l", str(data)], check=False)


@pytest.fixture
def running(tmp_path: Path, small_disk: Path):
    cfg = load_config(tmp_path, "simulate", sim={"speed": 50.0}, calling={"poll_interval_s": 0.05},
                      voice={"audio": "off"})
    rt = Runtime.build(cfg, clock=SystemClock())
    rec = Recorder()
    rt.bus.subscribe(rec)
    threads = [threading.Thread(target=w.run, daemon=True) for w in rt.workers]
    for t in threads:
        t.start()
    wait_for(lambda: rt.state.connection.status == "connected", timeout=30, what="the assistant")
    yield rt, rec, small_disk
    rt.close()
    for t in threads:
        t.join(10)


def _full(data: Path) -> None:
    with (data / "ballast").open("wb", buffering=0) as f:  # unbuffered: nothing left to flush at close
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass


def _space_returns(data: Path) -> None:
    (data / "ballast").unlink()


def test_a_typed_message_on_a_full_disk_is_shown_told_and_saved_later(running):
    rt, rec, data = running
    _full(data)
    rt.actions.send_text("what calls do I have?")
    wait_for(lambda: rec.of("transcript_turn", role="user", text="what calls do I have?"), timeout=30,
             what="the user's turn on screen")
    notice = wait_for(lambda: [n for n in rec.of("notice", level="error") if "disk is full" in n.text], timeout=30,
                      what="a notice that the disk is full")
    assert "conversation" in notice[0].text.lower()
    _space_returns(data)
    rt.actions.send_text("thanks")
    wait_for(lambda: {"what calls do I have?", "thanks"} <= {t.content for t in rt.conversation.get_recent_turns(50)},
             timeout=30, what="both turns saved once space returned")


def test_a_call_request_on_a_full_disk_is_held_and_saved_once_when_space_returns(running):
    rt, rec, data = running
    _full(data)
    rt.actions.send_text("call Akhil about the invoice")
    said = wait_for(lambda: [t for t in rec.of("tool_called") if "disk is full" in t.result], timeout=30,
                    what="the tool's answer naming the full disk")
    assert "held" in said[0].result and "saved, once" in said[0].result
    wait_for(lambda: [n for n in rec.of("notice", level="error") if "disk is full" in n.text], timeout=30,
             what="a notice that the disk is full")
    time.sleep(3 * RETRY_EVERY_S)  # tried again meanwhile, still refused: nothing written, still held
    assert rt.jobs.list_jobs() == [] and len(rt.held_requests.held()) == 1
    _space_returns(data)
    saved = wait_for(lambda: rt.jobs.list_jobs(), timeout=30, what="the held request saved")
    wait_for(lambda: [n for n in rec.of("notice", level="info") if f"job {saved[0].id}" in n.text], timeout=10,
             what="a notice that it is saved now")
    time.sleep(3 * RETRY_EVERY_S)
    (job,) = rt.jobs.list_jobs()  # once
    assert job.contact_name == "Akhil" and "invoice" in job.current_call_objective_description.lower()
    assert job.request_key and rt.held_requests.held() == []


def test_a_held_request_whose_write_did_land_is_not_written_twice(running):
    """The write committed but its error was what came back (a commit whose
    answer was lost): the key finds the job; no second one is made."""
    rt, rec, _ = running
    from calling.held_requests import HeldRequest

    first = rt.jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=1, request_key="k-1")
    rt.held_requests.hold(HeldRequest("k-1", "Akhil", None, "the invoice"), "the disk is full (free some space)")
    wait_for(lambda: rt.held_requests.held() == [], timeout=15, what="the held request settled")
    assert [j.id for j in rt.jobs.list_jobs()] == [first.id]


def test_the_schedule_form_on_a_full_disk_says_so(running):
    rt, rec, data = running
    _full(data)
    with pytest.raises(ValueError, match="disk is full.*What you typed is kept"):
        rt.actions.schedule_call(contact_name="Akhil", phone_number=None, objective="the invoice")
