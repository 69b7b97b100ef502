"""The layering holds (import-linter contracts in pyproject.toml), and
importing the app does no work."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    exe = str(lint) if lint.exists() else shutil.which("lint-imports")
    assert exe, "import-linter is not installed (it is in the test group of pyproject.toml)"
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_app_is_the_only_module_at_the_root() -> None:
    loose = sorted(p.name for p in ROOT.glob("*.py"))
    assert loose == ["app.py"], loose


def test_importing_the_app_does_no_work(tmp_path: Path) -> None:
    """No database, thread or socket at import: only at start-up."""
    code = (
        "import threading, sys; sys.path.insert(0, %r);"
        "import app, core.runtime, core.events, core.state, core.actions, core.config, core.headless, core.cli;"
        "import store, voice.worker, calling.engine, sim.cluster, tui.app, web_mirror.server;"
        "assert threading.active_count() == 1, threading.enumerate()" % str(ROOT)
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []  # no data dir, no database file
