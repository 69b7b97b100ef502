"""One logging set-up: rotating files under data_dir, never the terminal
the console draws on. The calling engine keeps its own calling_agent.log."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.text import hide_tokens, visible

if TYPE_CHECKING:
    from core.config import Secrets

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
MAX_BYTES = 5 * 1024 * 1024


class OneLineFormatter(logging.Formatter):
    """A record's message on one line with its control characters visible,
    so what a caller or a browser wrote can neither forge a log line nor
    drive the terminal of whoever reads the log (tracebacks keep their lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return visible(super().formatMessage(record), one_line=True)


class Redactor(logging.Filter):
    """Replaces every known secret (API keys, tokens) and every URL's
    ``token=`` value (the mirror link, Ultravox joinUrls) in a record's message."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a record whose arguments do not fit: logging reports it itself
        redacted = hide_tokens(message) if "token=" in message.lower() else message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


REDACTOR = Redactor()


def redact_secrets(*values: str) -> None:
    """Never write these to a log (short values are ignored: they would
    blank ordinary words)."""
    REDACTOR.secrets.update(v for v in values if v and len(v) >= 8)


def redact_config_secrets(secrets: Secrets) -> None:
    """The credentials among the secrets (not the ids and numbers)."""
    redact_secrets(secrets.openai_api_key, secrets.ultravox_api_key, secrets.twilio_auth_token, secrets.mirror_token)


def _private(path: Path) -> None:
    """The log holds what callees said: readable by the operator only."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    os.chmod(path, 0o600)


def _rotate_privately(source: str, dest: str) -> None:
    os.replace(source, dest)
    _private(Path(source))  # the handler reopens it: it exists, still 0600


def _rotating(path: Path) -> logging.Handler:
    _private(path)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=3, encoding="utf-8")
    handler.rotator = _rotate_privately
    handler.setFormatter(OneLineFormatter(FORMAT))
    handler.addFilter(REDACTOR)
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
        err.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
        err.addFilter(REDACTOR)
        root.addHandler(err)
    calling = logging.getLogger("calling")
    for h in list(calling.handlers):
        calling.removeHandler(h)
        h.close()
    calling.addHandler(_rotating(data_dir / "calling_agent.log"))
    quiet_libraries(level)


# request-by-request dumps (twilio.http_client logs every request's headers at
# INFO); our own clients log what matters about each call
CHATTY = ("urllib3", "twilio", "twilio.http_client", "httpx", "httpcore", "openai", "aiohttp.access",
          "websocket", "geventwebsocket", "asyncio")


def quiet_libraries(level: str = "INFO") -> None:
    """Library loggers say only warnings and errors, unless the app logs at
    DEBUG; websocket-client logs every dropped socket as an ERROR, and
    voice/ logs drops itself, so it says only what is critical."""
    library_level = logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else logging.WARNING
    for name in CHATTY:
        logging.getLogger(name).setLevel(library_level)
    logging.getLogger("websocket").setLevel(logging.CRITICAL)
