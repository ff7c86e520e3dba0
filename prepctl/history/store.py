"""The gate-history store: SQLite under ``.prepctl/`` next to phases.yaml, and recording a gate run.

Concurrency: WAL journal plus a busy timeout, and each run is written in one IMMEDIATE
transaction, so two `prepctl gate` runs at once both land, whole, and a reader never sees half
a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prepctl import workdir
from prepctl.errors import Problem
from prepctl.history.records import (
    BUSY_TIMEOUT_MS,
    DISABLE_ENV,
    HISTORY_FILE,
    SCHEMA_VERSION,
    HistoryError,
    RecordedCriterion,
    RecordedPhase,
    Run,
    parse_time,
    run_from_report,
    with_legacy_metrics,
)
from prepctl.secrets import redact
from prepctl.sqlitedb import open_shared
from prepctl.verdicts import Status

if TYPE_CHECKING:
    from prepctl.plan.model import LoadedPlan
    from prepctl.verdicts import GateReport

# ---------------------------------------------------------------- the store


SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    status TEXT NOT NULL,
    revision TEXT,
    config_hash TEXT NOT NULL,
    plan_name TEXT NOT NULL,
    strict INTEGER NOT NULL,
    historical INTEGER NOT NULL,
    clean INTEGER
);
CREATE INDEX IF NOT EXISTS runs_time ON runs(time);
CREATE TABLE IF NOT EXISTS phase_results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    phase TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (run_id, phase)
);
CREATE INDEX IF NOT EXISTS phase_results_phase ON phase_results(phase);
CREATE TABLE IF NOT EXISTS criterion_results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    phase TEXT NOT NULL,
    position INTEGER NOT NULL,
    criterion TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    advisory INTEGER NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (run_id, phase, criterion)
);
"""


def history_path(plan: LoadedPlan) -> Path:
    return workdir.state_dir(plan.config_dir) / HISTORY_FILE


@contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    # IMMEDIATE takes the write lock up front, so concurrent writers queue (busy_timeout)
    # instead of failing half-way with SQLITE_BUSY on lock upgrade.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class HistoryStore:
    """The SQLite file. Open it, use it, close it (or use it as a context manager)."""

    def __init__(self, path: Path, create: bool = True):
        self.path = path
        if not create and not path.exists():
            self._conn: sqlite3.Connection | None = None
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = open_shared(path, self._prepare, BUSY_TIMEOUT_MS / 1000)
        except sqlite3.DatabaseError as exc:
            # A read-only store is intact: moving it away would be the wrong advice.
            read_only = path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
            raise HistoryError(Problem(
                file=str(path), message=f"history store unusable: {exc}",
                hint=f"it or {path.parent.name}/ is read-only: make both writable, or set {DISABLE_ENV}=1"
                if read_only else "move the file away; `history import` can restore an export")) from None
        except OSError as exc:
            raise HistoryError(Problem(file=str(path), message=f"cannot open history: {exc}")) from None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        assert self._conn is not None
        return _write_transaction(self._conn)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise HistoryError(Problem(file=str(self.path), message=f"cannot use WAL journal ({mode})",
                                       hint="keep .prepctl/ on a local file system"))
        self._migrate(conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(Problem(file=str(self.path), message=f"history schema {version} is newer "
                                       f"than this prepctl understands ({SCHEMA_VERSION})",
                                       hint="upgrade prepctl"))
        if version == SCHEMA_VERSION:
            return
        if version >= 1 and not {"uid", "historical"} <= self._columns(conn):
            return  # someone else's tables under our label: left alone, reads and writes name the column
        with _write_transaction(conn):
            if version == 1:  # 1 -> 2: whether the work tree was clean (NULL: not known)
                conn.execute("ALTER TABLE runs ADD COLUMN clean INTEGER")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _columns(conn: sqlite3.Connection) -> set[str]:
        return {row[1] for row in conn.execute("PRAGMA table_info(runs)")}

    # -------------------------------------------------------- writing

    def add(self, run: Run) -> bool:
        """Store one run; False if a run with the same uid is already there."""
        if self._conn is None:
            raise HistoryError(Problem(file=str(self.path), message="history store is closed"))
        try:
            with self._write() as conn:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO runs (uid, time, status, revision, config_hash, plan_name, "
                    "strict, historical, clean) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run.uid, run.time_text, run.status.value, run.revision, run.config_hash,
                     run.plan_name, int(run.strict), int(run.historical),
                     None if run.clean is None else int(run.clean)))
                if cursor.rowcount == 0:
                    return False
                run_id = cursor.lastrowid
                for p_pos, phase in enumerate(run.phases):
                    conn.execute("INSERT INTO phase_results (run_id, position, phase, title, status) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 (run_id, p_pos, phase.phase, phase.title, phase.status.value))
                    conn.executemany(
                        "INSERT INTO criterion_results (run_id, phase, position, criterion, kind, title, "
                        "advisory, status, summary, evidence, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        [(run_id, phase.phase, c_pos, c.id, c.kind, c.title, int(c.advisory),
                          c.status.value, c.summary,
                          json.dumps(list(c.evidence), sort_keys=True, ensure_ascii=False, default=str),
                          c.seconds)
                         for c_pos, c in enumerate(phase.criteria)])
                return True
        except sqlite3.DatabaseError as exc:
            raise HistoryError(Problem(file=str(self.path), message=f"cannot record the run: {exc}")) from None

    # -------------------------------------------------------- reading

    def runs(self, phase: str | None = None, limit: int | None = None,
             include_historical: bool = True) -> list[Run]:
        """Runs oldest first (the last ``limit`` of them), optionally only those covering ``phase``."""
        if self._conn is None:
            return []
        where, args = [], []
        if phase is not None:
            where.append("id IN (SELECT run_id FROM phase_results WHERE phase = ?)")
            args.append(phase)
        if not include_historical:
            where.append("historical = 0")
        sql = "SELECT id, uid, time, status, revision, config_hash, plan_name, strict, historical, clean "
        sql += "FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time DESC, uid DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        try:
            rows = self._conn.execute(sql, args).fetchall()
            return [self._load(row) for row in reversed(rows)]
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise HistoryError(Problem(file=str(self.path), message=f"cannot read history: {exc}")) from None

    def _load(self, row: tuple[Any, ...]) -> Run:
        assert self._conn is not None
        run_id = row[0]
        phases = []
        for phase, title, status in self._conn.execute(
                "SELECT phase, title, status FROM phase_results WHERE run_id = ? ORDER BY position", (run_id,)):
            criteria = tuple(
                RecordedCriterion(id=c[0], kind=c[1], title=c[2], advisory=bool(c[3]), status=Status(c[4]),
                                  summary=c[5], evidence=with_legacy_metrics(c[1], stored_evidence(c[6])),
                                  seconds=c[7])
                for c in self._conn.execute(
                    "SELECT criterion, kind, title, advisory, status, summary, evidence, seconds "
                    "FROM criterion_results WHERE run_id = ? AND phase = ? ORDER BY position",
                    (run_id, phase)))
            phases.append(RecordedPhase(phase=phase, title=title, status=Status(status), criteria=criteria))
        return Run(uid=row[1], time=parse_time(row[2]), status=Status(row[3]), revision=row[4],
                   config_hash=row[5], plan_name=row[6], strict=bool(row[7]), historical=bool(row[8]),
                   clean=None if row[9] is None else bool(row[9]),
                   phases=tuple(phases))


def stored_evidence(text: str) -> list[dict[str, Any]]:
    """A criterion's evidence column: a JSON list of objects, as :meth:`HistoryStore.add` writes it.
    Anything else is a damaged row (ValueError, reported as "cannot read history"), never read as
    "no evidence" or handed to the readers as something they would crash on."""
    items = json.loads(text)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"a criterion's evidence is not a list of objects: {text[:60]!r}")
    return items


def open_history(plan: LoadedPlan, create: bool = True) -> HistoryStore:
    return HistoryStore(history_path(plan), create=create)


def read_runs(plan: LoadedPlan, phase: str | None = None, include_historical: bool = True,
              limit: int | None = None) -> list[Run]:
    """Runs oldest first; an absent store means no runs (reading never creates it)."""
    with open_history(plan, create=False) as store:
        return store.runs(phase, limit=limit, include_historical=include_historical)


# ---------------------------------------------------------------- recording from `gate`


def record_gate_run(plan: LoadedPlan, report: GateReport) -> Run:
    run = run_from_report(plan, report)
    with open_history(plan) as store:
        store.add(run)
    return run


def record_or_warn(plan: LoadedPlan, report: GateReport) -> None:
    """Record a gate run; on failure say so on stderr and carry on.

    The gate's verdict is what CI acts on; a full disk or a read-only checkout must not turn a
    passing gate into a failing one, but nobody should believe history was kept when it was not.
    """
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return
    try:
        record_gate_run(plan, report)
    except Exception as exc:  # any failure: report, never change the gate's exit code
        message = redact(str(exc)) or type(exc).__name__
        sys.stderr.write(f"prepctl: warning: gate history not recorded: {message}\n")
