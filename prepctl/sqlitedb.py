"""Opening a SQLite file that several prepctl processes may open at the same moment.

Two CI jobs, or a CI job and a tech lead's shell, can both be the first to touch
``.prepctl/history.sqlite3`` or the import cache. Switching a brand-new file to WAL needs an
exclusive lock, and when two openers each hold a shared lock while asking for it, SQLite reports
"database is locked" at once instead of waiting out ``busy_timeout`` (waiting would deadlock).
The loser simply has to start over, which is what :func:`open_shared` does.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def is_busy(exc: sqlite3.Error) -> bool:
    """True for "database is locked/busy" in any of its extended forms (BUSY_RECOVERY, ...)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _BUSY_CODES


def open_shared(path: Path, prepare: Callable[[sqlite3.Connection], None], timeout: float,
                *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Connect in autocommit mode and run ``prepare`` (pragmas, schema), retrying while busy.

    Busy errors are retried with a growing pause until ``timeout`` seconds have passed, then
    raised like any other ``sqlite3.Error``; the caller turns them into its own message.
    """
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None,
                               check_same_thread=check_same_thread)
        try:
            prepare(conn)
            return conn
        except sqlite3.Error as exc:
            conn.close()
            if not is_busy(exc) or time.monotonic() + pause > deadline:
                raise
        except BaseException:
            conn.close()
            raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
