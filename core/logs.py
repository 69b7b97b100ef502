"""One logging set-up: rotating files under data_dir, never the terminal
the console draws on. The calling engine keeps its own calling_agent.log."""
from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
MAX_BYTES = 5 * 1024 * 1024


def _rotating(path: Path) -> logging.Handler:
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def setup(data_dir: Path, level: str = "INFO", *, stderr_level: str | None = None) -> None:
    """``stderr_level`` adds a stderr handler (headless mode, standalone
    tools); the console gets none, since a log line would tear its screen."""
    data_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    root.setLevel(level)
    root.addHandler(_rotating(data_dir / "switchboard.log"))
    if stderr_level:
        err = logging.StreamHandler(sys.stderr)
        err.setLevel(stderr_level)
        err.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(err)
    calling = logging.getLogger("calling")
    for h in list(calling.handlers):
        calling.removeHandler(h)
        h.close()
    calling.addHandler(_rotating(data_dir / "calling_agent.log"))
    # chatty libraries: their debug lines drown ours
    # websocket-client logs every dropped socket as an ERROR; voice/ logs drops itself
    logging.getLogger("websocket").setLevel(logging.CRITICAL)
    for name in ("urllib3", "twilio.http_client", "httpx", "httpx2", "openai", "aiohttp.access"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
