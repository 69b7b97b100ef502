"""Words for a database that failed a write: what the operator can act on
(a full disk, a read-only file, a lock held by another process) instead of
"internal error"."""
from __future__ import annotations

import errno
import sqlite3

import sqlalchemy.exc

# what a failed database operation raises, whichever layer it surfaces from
FAILURES = (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error, OSError)
PASSING = ("the disk is full", "the database is locked", "the database file cannot be opened")


def passes(exc: BaseException) -> bool:
    """Whether the failure is one that goes away by itself or once the
    operator frees something (space, a lock, file handles), so the same write
    can be tried again later; a read-only or corrupt database does not."""
    return describe(exc).startswith(PASSING)


def describe(exc: BaseException) -> str:
    """One phrase naming the cause, for a message like "… not saved: <phrase>"."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()).lower()
    if isinstance(orig, OSError) and orig.errno == errno.ENOSPC or "disk is full" in text or "no space" in text:
        return "the disk is full (free some space)"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only"
    if "locked" in text:
        return "the database is locked by another process"
    if "malformed" in text or "not a database" in text:
        return "the database file is corrupt"
    if "unable to open" in text or "too many open files" in text:
        return "the database file cannot be opened"
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"the database failed ({first[:200]})"
