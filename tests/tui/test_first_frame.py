"""The first frame comes before the heavy parts: what `python app.py` imports
before the console draws is Textual, the config loader and the starting
screen, never the databases' libraries, the service clients or the simulators
(they are imported by the runtime's build, on a worker after that frame)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

LATER = ("dataset", "sqlalchemy", "alembic", "psycopg", "openai", "twilio", "requests", "websocket", "aiohttp",
         "sounddevice", "bottle", "gevent", "store", "voice", "calling", "sim", "web_mirror", "core.runtime",
         "core.events", "tui.screens.main", "tui.commands", "tui.screens.help")


def test_the_console_path_imports_nothing_heavy_before_the_first_frame(tmp_path) -> None:
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import app\n"
        "from core import cli, config, logs, preflight\n"  # what app.main imports on the console's path
        "from tui.app import run_console\n"
        "print(' '.join(sorted(sys.modules)))\n" % str(ROOT)
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    early = sorted(name for name in loaded if name.split(".")[0] in LATER or name in LATER)
    assert early == []
