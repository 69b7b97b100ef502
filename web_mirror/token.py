"""The mirror's access token, kept in the data folder so a browser tab stays
valid across restarts; `app.py --new-mirror-token` replaces it (old links
then stop working). SWITCHBOARD_MIRROR_TOKEN, when set, wins over both."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

FILE = "mirror_token"
TOKEN_BYTES = 24


def _write(path: Path) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the token is a secret: owner only
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
    os.replace(tmp, path)
    return token


def stable_token(data_dir: Path) -> str:
    """This data folder's token, made on first use."""
    path = data_dir / FILE
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        token = ""
    except (OSError, UnicodeDecodeError) as e:
        log.warning("mirror token file %s unreadable (%s); making a new one", path, e)
        token = ""
    if len(token) < 16:
        token = _write(path)
    return token


def new_token(data_dir: Path) -> str:
    """Replace this data folder's token: links given out before stop working."""
    return _write(data_dir / FILE)
