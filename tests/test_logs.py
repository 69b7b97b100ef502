"""Library request dumps stay out of the log unless it is at DEBUG."""
from __future__ import annotations

import logging
from pathlib import Path

from core import logs


def lines(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text()


def test_library_loggers_are_quiet_by_default(tmp_path: Path):
    logs.setup(tmp_path, "INFO")
    try:
        logging.getLogger("twilio.http_client").info("-- BEGIN Twilio API Request --")
        logging.getLogger("urllib3.connectionpool").info("Starting new HTTPS connection")
        logging.getLogger("calling.engine").info("job 1 dialled")
        logging.getLogger("twilio.http_client").warning("Twilio answered 429")
        text = lines(tmp_path / "switchboard.log")
        assert "BEGIN Twilio API Request" not in text and "Starting new HTTPS" not in text
        assert "job 1 dialled" in text and "Twilio answered 429" in text
        logs.setup(tmp_path, "DEBUG")
        logging.getLogger("twilio.http_client").info("-- BEGIN Twilio API Request --")
        assert "BEGIN Twilio API Request" in lines(tmp_path / "switchboard.log")
    finally:
        logs.setup(tmp_path, "INFO")
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()
