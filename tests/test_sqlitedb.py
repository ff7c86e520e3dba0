"""Several prepctl processes creating the same SQLite file at the same moment.

CI once failed with "database is locked" when four writers opened a new history store together:
switching a fresh file to WAL can deadlock two openers, and SQLite then fails one of them at once
instead of waiting. Before the fix, more than half of these six-way races lost a process.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.model import ParsedFile
from prepctl.history import HistoryError, HistoryStore
from prepctl.sqlitedb import is_busy, open_shared

OPENERS, RACES = 6, 25


def _open_history(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        HistoryStore(Path(path)).close()
        results.put("")
    except HistoryError as exc:
        results.put(str(exc))


def _open_cache(directory: str, barrier, results) -> None:
    barrier.wait()
    cache = ParseCache(directory)
    cache.put_many({f"{os.getpid():040x}": ParsedFile((), None, False, True)})
    results.put(cache.disabled_reason or "")


def _race(target, where: str) -> list[str]:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(OPENERS), context.Queue()
    processes = [context.Process(target=target, args=(where, barrier, results)) for _ in range(OPENERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return [outcome for outcome in outcomes if outcome]


def test_simultaneous_first_opens_of_the_history_store_all_succeed(tmp_path):
    failures = []
    for race in range(RACES):
        failures += _race(_open_history, str(tmp_path / f"race{race}" / "history.sqlite3"))
    assert failures == []
    with HistoryStore(tmp_path / "race0" / "history.sqlite3") as store:
        assert store.runs() == []


def test_simultaneous_first_opens_of_the_import_cache_all_succeed(tmp_path):
    failures = []
    for race in range(RACES):
        failures += _race(_open_cache, str(tmp_path / f"race{race}"))
    assert failures == []
    (database,) = (tmp_path / "race0").glob("imports-*.sqlite")
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM parsed").fetchone() == (OPENERS,)


def test_open_shared_retries_busy_and_gives_up_at_the_deadline(tmp_path):
    attempts: list[int] = []

    def create_table(conn: sqlite3.Connection) -> None:
        attempts.append(1)
        # While another connection holds an exclusive transaction, this write is a real BUSY.
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("CREATE TABLE t (x)")

    holder = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as raised:
        open_shared(tmp_path / "db.sqlite", create_table, timeout=0.05)
    assert is_busy(raised.value) and len(attempts) >= 2
    holder.execute("ROLLBACK")
    attempts.clear()
    open_shared(tmp_path / "db.sqlite", create_table, timeout=5).close()
    assert len(attempts) == 1  # nothing held the lock this time: no retry


def test_open_shared_does_not_retry_other_errors(tmp_path):
    attempts: list[int] = []

    def broken(conn: sqlite3.Connection) -> None:
        attempts.append(1)
        conn.execute("SELEC 1")

    with pytest.raises(sqlite3.OperationalError) as raised:
        open_shared(tmp_path / "db.sqlite", broken, timeout=5)
    assert not is_busy(raised.value) and attempts == [1]
