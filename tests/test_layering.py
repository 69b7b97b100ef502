"""Domain code never imports a UI or web package, and does no work at import."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOMAIN_DIRS = ("voice", "calling", "store", "sim")
DOMAIN_MODULES = ("events.py", "state.py", "actions.py", "runtime.py", "config.py", "clock.py", "retry.py",
                  "headless.py", "logs.py", "cli.py")
FORBIDDEN = ("textual", "bottle", "gevent", "geventwebsocket")


def domain_files() -> list[Path]:
    files = [ROOT / m for m in DOMAIN_MODULES]
    for d in DOMAIN_DIRS:
        files += sorted((ROOT / d).rglob("*.py"))
    return [f for f in files if f.exists()]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_code_imports_no_ui_or_web_package(path: Path) -> None:
    bad = imported_roots(path) & set(FORBIDDEN)
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_importing_the_app_does_no_work(tmp_path: Path) -> None:
    """No database, thread or socket at import: only at start-up."""
    code = (
        "import threading, sys; sys.path.insert(0, %r);"
        "import app, runtime, events, state, actions, store, config, headless;"
        "import voice, calling, sim;"
        "assert threading.active_count() == 1, threading.enumerate()" % str(ROOT)
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []  # no data dir, no database file
