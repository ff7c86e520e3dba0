"""Gate history: every `prepctl gate` run, kept in SQLite under ``.prepctl/`` next to phases.yaml.

What a run records: when (UTC), the git revision it looked at, which phases, the hash of
phases.yaml, and each criterion's verdict with its evidence, all redacted. Post-mortems and the
dashboard read it back; ``export``/``import`` move it between machines as JSON Lines, because CI
runners are ephemeral and the history is only useful if it accumulates somewhere.

Concurrency: WAL journal plus a busy timeout, and each run is written in one IMMEDIATE
transaction, so two `prepctl gate` runs at once both land, whole, and a reader never sees half
a run. Runs have a random uid so importing the same export twice adds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prepctl import workdir
from prepctl.errors import PrepctlError, Problem
from prepctl.secrets import redact
from prepctl.sqlitedb import open_shared
from prepctl.verdicts import Status, overall_status, phase_status

if TYPE_CHECKING:
    from prepctl.plan.model import LoadedPlan
    from prepctl.verdicts import GateReport

HISTORY_FILE = "history.sqlite3"
SCHEMA_VERSION = 1
EXPORT_FORMAT = "prepctl-history/1"
#: Set to 1 to run `prepctl gate` without recording (e.g. throwaway experiments).
DISABLE_ENV = "PREPCTL_NO_HISTORY"
BUSY_TIMEOUT_MS = 30_000


class HistoryError(PrepctlError):
    """The history store cannot be read or written."""


# ---------------------------------------------------------------- the records


@dataclass(frozen=True)
class RecordedCriterion:
    id: str
    kind: str
    title: str
    advisory: bool
    status: Status
    summary: str
    evidence: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class RecordedPhase:
    phase: str
    title: str
    status: Status
    criteria: tuple[RecordedCriterion, ...] = ()


@dataclass(frozen=True)
class Run:
    uid: str
    time: datetime
    status: Status
    revision: str | None
    config_hash: str
    plan_name: str
    strict: bool = False
    #: True for `gate --at REV`: an evaluation of the past, not an observation made at `time`.
    historical: bool = False
    phases: tuple[RecordedPhase, ...] = field(default=())

    @property
    def time_text(self) -> str:
        return format_time(self.time)

    def phase(self, phase_id: str) -> RecordedPhase | None:
        return next((p for p in self.phases if p.phase == phase_id), None)


_LABEL_TIME = re.compile(r" at \d{4}-\d{2}-\d{2}T\S*")  # an `slo` label's " at 2026-01-06T09:00:00Z"


def with_legacy_metrics(kind: str, evidence: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Recorded evidence, with the metric implied in runs recorded before evidence carried one:
    they kept the `slo` gate's measured series only as a numeric ``value``. Read back with that
    metric, their charts and post-mortem tables stay as they were."""
    def upgraded(item: dict[str, Any]) -> dict[str, Any]:
        value = item.get("value")
        if kind != "slo" or "metric" in item or not isinstance(value, int | float) or isinstance(value, bool):
            return item
        name = _LABEL_TIME.sub("", str(item.get("label", "")))
        return {**item, "metric": {"name": name, "value": value, "objective": item.get("expected")}}
    return tuple(upgraded(item) for item in evidence)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time '{text}' has no time zone")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------- building a run


def config_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def head_revision(root: Path) -> str | None:
    """The commit checked out at the monolith's root, or None outside git (or before a commit)."""
    try:
        import git
    except ImportError:  # pragma: no cover - gitpython is a dependency
        return None
    try:
        repo = git.Repo(root, search_parent_directories=True)
        try:
            return repo.head.commit.hexsha
        finally:
            repo.close()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandError):
        return None


#: SQLite text is UTF-8, which has no lone surrogates (a command's output can carry one): the
#: record keeps U+FFFD in their place rather than being lost whole.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _storable(text: str) -> str:
    return _SURROGATES.sub("\ufffd", redact(text))


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, dict):
        return {str(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return _storable(str(value))


def remember_plan_tokens(plan: LoadedPlan) -> None:
    """Load every token the plan names (``token_env``) so ``redact`` knows it.

    ``load_plan`` has done this already; a plan built in code (an API user, a test) has not, and
    history keeps evidence for years, so recording makes sure.
    """
    from prepctl.secrets import secret_env_refs, secret_from_env

    for _path, name in secret_env_refs(plan.model.model_dump(mode="python")):
        secret_from_env(name)


def run_from_report(plan: LoadedPlan, report: GateReport, now: datetime | None = None) -> Run:
    remember_plan_tokens(plan)
    historical = report.revision is not None
    phases = tuple(
        RecordedPhase(
            phase=p.phase, title=_storable(p.title), status=p.status,
            criteria=tuple(RecordedCriterion(
                id=c.id, kind=c.kind, title=_storable(c.title), advisory=c.advisory, status=c.status,
                summary=_storable(c.verdict.summary),
                evidence=tuple(_redacted(e.to_dict()) for e in c.verdict.evidence),
                seconds=c.seconds) for c in p.criteria))
        for p in report.phases)
    return Run(uid=uuid.uuid4().hex, time=(now or datetime.now(UTC)).astimezone(UTC),
               status=report.status,
               revision=report.revision if historical else head_revision(plan.root),
               config_hash=config_hash(plan.path), plan_name=plan.model.name, strict=report.strict,
               historical=historical, phases=phases)


# ---------------------------------------------------------------- the store


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    status TEXT NOT NULL,
    revision TEXT,
    config_hash TEXT NOT NULL,
    plan_name TEXT NOT NULL,
    strict INTEGER NOT NULL,
    historical INTEGER NOT NULL
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
        with _write_transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -------------------------------------------------------- writing

    def add(self, run: Run) -> bool:
        """Store one run; False if a run with the same uid is already there."""
        if self._conn is None:
            raise HistoryError(Problem(file=str(self.path), message="history store is closed"))
        try:
            with self._write() as conn:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO runs (uid, time, status, revision, config_hash, plan_name, "
                    "strict, historical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run.uid, run.time_text, run.status.value, run.revision, run.config_hash,
                     run.plan_name, int(run.strict), int(run.historical)))
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
        sql = "SELECT id, uid, time, status, revision, config_hash, plan_name, strict, historical FROM runs"
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
                                  summary=c[5], evidence=with_legacy_metrics(c[1], json.loads(c[6])),
                                  seconds=c[7])
                for c in self._conn.execute(
                    "SELECT criterion, kind, title, advisory, status, summary, evidence, seconds "
                    "FROM criterion_results WHERE run_id = ? AND phase = ? ORDER BY position",
                    (run_id, phase)))
            phases.append(RecordedPhase(phase=phase, title=title, status=Status(status), criteria=criteria))
        return Run(uid=row[1], time=parse_time(row[2]), status=Status(row[3]), revision=row[4],
                   config_hash=row[5], plan_name=row[6], strict=bool(row[7]), historical=bool(row[8]),
                   phases=tuple(phases))


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


# ---------------------------------------------------------------- export / import


class _EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str


class _CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    title: str
    advisory: bool = False
    status: Status
    summary: str
    evidence: list[_EvidenceIn] = Field(default_factory=list)
    seconds: float = 0.0


class _PhaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phase: str
    title: str
    status: Status
    criteria: list[_CriterionIn] = Field(default_factory=list)


class _RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str
    uid: str = Field(pattern=r"^[0-9a-f]{32}$")
    time: str
    status: Status
    revision: str | None = None
    config_hash: str
    plan_name: str
    strict: bool = False
    historical: bool = False
    phases: list[_PhaseIn]


def run_to_json(run: Run) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT, "uid": run.uid, "time": run.time_text, "status": run.status.value,
        "revision": run.revision, "config_hash": run.config_hash, "plan_name": run.plan_name,
        "strict": run.strict, "historical": run.historical,
        "phases": [{"phase": p.phase, "title": p.title, "status": p.status.value,
                    "criteria": [{"id": c.id, "kind": c.kind, "title": c.title, "advisory": c.advisory,
                                  "status": c.status.value, "summary": c.summary,
                                  "evidence": list(c.evidence), "seconds": c.seconds}
                                 for c in p.criteria]}
                   for p in run.phases],
    }


def export_jsonl(runs: Iterable[Run], out: TextIO) -> int:
    count = 0
    for run in runs:
        out.write(json.dumps(run_to_json(run), sort_keys=True, ensure_ascii=False) + "\n")
        count += 1
    return count


#: How far ahead of this machine's clock an imported run may be stamped (clock skew between hosts).
IMPORT_CLOCK_SKEW = timedelta(minutes=5)


def _check_consistent(data: _RunIn, moment: datetime, file: str, line: int) -> None:
    """Refuse a record no gate run could have written: one stamped in the future (it would stay the
    latest run for good) or whose phase and run statuses disagree with its criteria (a `pass`
    written over a failing criterion)."""
    now = datetime.now(UTC)
    if moment > now + IMPORT_CLOCK_SKEW:
        raise HistoryError(Problem(file=file, line=line, message=f"time {data.time} is in the future "
                                   f"(this machine's clock says {format_time(now)})",
                                   hint="import only what `prepctl history export` wrote; fix the clock "
                                   "of the machine that recorded it"))
    for phase in data.phases:
        expected = phase_status(phase.criteria, data.strict)
        if phase.status is not expected:
            raise HistoryError(Problem(file=file, line=line, message=f"phase {phase.phase} is recorded as "
                                       f"{phase.status.value}, but its criteria roll up to {expected.value}",
                                       hint="the record was edited; import only what `prepctl history "
                                       "export` wrote"))
    expected = overall_status(phase.status for phase in data.phases)
    if data.status is not expected:
        raise HistoryError(Problem(file=file, line=line, message=f"the run is recorded as {data.status.value}, "
                                   f"but its phases roll up to {expected.value}",
                                   hint="the record was edited; import only what `prepctl history export` "
                                   "wrote"))


def parse_jsonl(text: str, file: str) -> list[Run]:
    """Every run in an export, or a HistoryError naming the first bad line (nothing is imported)."""
    runs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = _RunIn.model_validate_json(line)
            if data.format != EXPORT_FORMAT:
                raise ValueError(f"format '{data.format}' is not {EXPORT_FORMAT}")
            moment = parse_time(data.time)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise HistoryError(Problem(file=file, line=number, message=f"{where}: {first['msg']}",
                                       hint="expected one run per line, as `prepctl history export` "
                                       "writes")) from None
        except ValueError as exc:
            raise HistoryError(Problem(file=file, line=number, message=str(exc))) from None
        _check_consistent(data, moment, file, number)
        runs.append(Run(
            uid=data.uid, time=moment, status=data.status, revision=data.revision,
            config_hash=data.config_hash, plan_name=data.plan_name, strict=data.strict,
            historical=data.historical,
            phases=tuple(RecordedPhase(
                phase=p.phase, title=_storable(p.title), status=p.status,
                criteria=tuple(RecordedCriterion(
                    id=c.id, kind=c.kind, title=_storable(c.title), advisory=c.advisory, status=c.status,
                    summary=_storable(c.summary), evidence=tuple(_redacted(e.model_dump()) for e in c.evidence),
                    seconds=c.seconds) for c in p.criteria))
                for p in data.phases)))
    return runs


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_present: int


def import_jsonl(plan: LoadedPlan, file: Path) -> ImportResult:
    from prepctl.fileio import read_input_text

    text = read_input_text(file, missing_hint="pass a file written by `prepctl history export`",
                           error=HistoryError)
    runs = parse_jsonl(text, str(file))
    added = 0
    with open_history(plan) as store:
        for run in runs:
            added += store.add(run)
    return ImportResult(added=added, already_present=len(runs) - added)


# ---------------------------------------------------------------- listing


def _counts(phase: RecordedPhase) -> str:
    counts: dict[str, int] = {}
    for crit in phase.criteria:
        counts[crit.status.value] = counts.get(crit.status.value, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def runs_table(runs: list[Run], phase: str | None = None) -> str:
    """One line per run (and phase), newest last, for `prepctl history`."""
    if not runs:
        return "no gate runs recorded" + (f" for {phase}" if phase else "") + "\n"
    lines = [f"{'TIME (UTC)':<19}  {'RUN':<8}  {'REVISION':<10}  {'CONFIG':<8}  PHASE     STATUS  CRITERIA"]
    for run in runs:
        shown = [p for p in run.phases if phase is None or p.phase == phase]
        for recorded in shown:
            revision = (run.revision or "-")[:10] + (" (--at)" if run.historical else "")
            lines.append(f"{run.time_text[:19].replace('T', ' '):<19}  {run.uid[:8]:<8}  {revision:<10}  "
                         f"{run.config_hash[:8]:<8}  {recorded.phase:<8}  {recorded.status.value:<6}  "
                         f"{_counts(recorded)}")
    return "\n".join(lines) + "\n"
