"""Fault corpus, category history: hostile gate-history stores (``.prepctl/history.sqlite3``).

What every case keeps, whatever happened to the store:

- the gate's verdict and exit code are those of the same gate without history
  (``PREPCTL_NO_HISTORY=1``): history failing never changes what CI acts on;
- a store prepctl cannot use is named on stderr (a warning from ``gate``; exit 2 from the
  commands that read it), never a traceback, never a hang;
- a store prepctl cannot read keeps its exact bytes: prepctl never "repairs" it away;
- a run recorded is never lost (concurrent writers, a writer waiting out a lock).

Existing tests cover some of this already and are not repeated here: a corrupt (non-SQLite)
store and ``.prepctl`` being a file (tests/documents/test_history.py), several writers through the API
(tests/documents/test_history.py) and simultaneous first opens (tests/test_sqlitedb.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from tests.support.documents import Project, make_project
from tests.support.fault_harness import Expect, Outcome, check, run_prepctl
from tests.support.paths import REPO

PHASE = "phase-0"
NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}


def store(project: Project) -> Path:
    return project.dir / ".prepctl" / "history.sqlite3"


def gate(project: Project, env: dict[str, str] | None = None) -> Outcome:
    return run_prepctl("-c", project.plan, "gate", PHASE, "--format", "json", cwd=project.dir, env=env)


def recorded(project: Project) -> int:
    """How many runs `prepctl history` lists (through the CLI, as a user would count them)."""
    outcome = run_prepctl("-c", project.plan, "history", "--format", "json", "--limit", "1000",
                          cwd=project.dir)
    check(outcome, Expect(codes=[0]))
    return len(json.loads(outcome.stdout))


# ---------------------------------------------------------------- making hostile stores


def with_runs(project: Project, count: int = 2) -> Path:
    for _ in range(count):
        check(gate(project), Expect())
    return store(project)


def truncated(project: Project) -> None:
    path = with_runs(project)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zero_length(project: Project) -> None:
    store(project).parent.mkdir()
    store(project).write_bytes(b"")


def sqlite_with(project: Project, *statements: str) -> None:
    store(project).parent.mkdir()
    connection = sqlite3.connect(store(project))
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


def future_version(project: Project) -> None:
    sqlite_with(project, "CREATE TABLE runs (uid TEXT, payload BLOB)", "PRAGMA user_version = 99")


def wrong_schema(project: Project) -> None:
    # Says it is version 1, but its tables are someone else's.
    sqlite_with(project, "CREATE TABLE runs (a)", "PRAGMA user_version = 1")


def another_app(project: Project) -> None:
    # A SQLite file of another program at the same name (version 0): its tables are left alone.
    sqlite_with(project, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mine')")


def garbage_wal(project: Project) -> None:
    path = with_runs(project, 1)
    path.with_name(path.name + "-wal").write_bytes(os.urandom(8192))


def fifo(project: Project) -> None:
    store(project).parent.mkdir()
    os.mkfifo(store(project))


def folder(project: Project) -> None:
    store(project).mkdir(parents=True)


def device(project: Project) -> None:
    store(project).parent.mkdir()
    store(project).symlink_to("/dev/full")


def device_intact(project: Project) -> None:
    assert store(project).is_symlink() and Path("/dev/full").is_char_device()


def notes_kept(project: Project) -> None:
    connection = sqlite3.connect(store(project))
    try:
        assert connection.execute("SELECT body FROM notes").fetchall() == [("mine",)]
    finally:
        connection.close()


@contextmanager
def immutable(project: Project) -> Iterator[None]:
    """The store and its folder read-only, even for root (tests run as root: chmod would not do)."""
    path = with_runs(project, 1)
    targets = [str(path), str(path.parent)]
    subprocess.run(["chattr", "+i", *targets], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *targets], check=True)


@contextmanager
def locked(project: Project, seconds: float = 4.0) -> Iterator[None]:
    """Another process holds the store's write lock while the gate runs."""
    path = with_runs(project, 1)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
         "time.sleep(float(sys.argv[2])); c.execute('COMMIT')\n", str(path), str(seconds)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.wait(timeout=60)


def kept(path: Path, what: Literal["bytes", "rows"] | None) -> object:
    if what == "bytes":
        return path.read_bytes()
    if what == "rows":
        connection = sqlite3.connect(path)
        try:
            return list(connection.iterdump()) + [connection.execute("PRAGMA user_version").fetchone()]
        finally:
            connection.close()
    return None


@contextmanager
def nothing_more() -> Iterator[None]:
    yield


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class HistoryCase:
    name: str
    #: The hostile store, and what prepctl must do with it.
    defect: str
    setup: Callable[[Project], None]
    #: True: the gate's run lands in the store. False: the gate warns that it did not.
    records: bool
    #: Exit code of `prepctl history` afterwards, and what it (or the gate's warning) must say.
    listing_code: int
    says: tuple[str, ...] = ()
    #: Runs `prepctl history` lists afterwards (when it can list them).
    runs_after: int | None = None
    #: What of the store must survive (prepctl cannot use it, so it must not rewrite it): "bytes"
    #: exactly; "rows": every table and row (SQLite may switch the header to WAL on open).
    preserve: Literal["bytes", "rows"] | None = None
    #: A condition held while the gate runs (a lock, read-only flags).
    during: Callable[[Project], AbstractContextManager[None]] | None = None
    #: More to check afterwards.
    after: Callable[[Project], None] | None = None


CASES = [
    HistoryCase("truncated", "half a store (a copy cut short): reads and writes fail with the file "
                "named; the bytes stay for recovery", truncated, records=False, listing_code=2,
                says=("history store unusable", "malformed"), preserve="bytes"),
    HistoryCase("zero-length", "an empty file (touch, a failed copy) is an empty store: used",
                zero_length, records=True, listing_code=0, runs_after=1),
    HistoryCase("future-version", "a store written by a newer prepctl: refused, not downgraded",
                future_version, records=False, listing_code=2, says=("history schema 99 is newer",
                                                                    "upgrade prepctl"), preserve="rows"),
    HistoryCase("wrong-schema", "version 1 on the label, other tables inside: a clear error",
                wrong_schema, records=False, listing_code=2, says=("no column",), preserve="rows"),
    HistoryCase("another-apps-database", "another program's SQLite file at the name: its table is "
                "kept beside prepctl's", another_app, records=True, listing_code=0, runs_after=1, after=notes_kept),
    HistoryCase("garbage-wal", "a WAL file of random bytes (checksums fail): ignored by SQLite, "
                "no run lost", garbage_wal, records=True, listing_code=0, runs_after=2),
    HistoryCase("fifo", "a FIFO at the store's name: an I/O error, not a hang", fifo, records=False,
                listing_code=2, says=("history store unusable",)),
    HistoryCase("folder", "a folder at the store's name", folder, records=False, listing_code=2,
                says=("unable to open database file",)),
    HistoryCase("device", "a link to /dev/full: refused, and the device stays a device", device,
                records=False, listing_code=2, says=("history store unusable",), after=device_intact),
    HistoryCase("read-only", "store and folder read-only (a read-only checkout): the gate warns, "
                "the hint says read-only, not 'move the file away'", lambda project: None, records=False,
                listing_code=2, says=("read-only", "PREPCTL_NO_HISTORY=1"), during=immutable),
    HistoryCase("locked", "another process holds the write lock for 4 s: the gate waits (busy "
                "timeout 30 s) and its run lands", lambda project: None, records=True, listing_code=0,
                runs_after=2, during=locked),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_history_case(case: HistoryCase, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    truth = gate(project, env=NO_HISTORY)
    check(truth, Expect(codes=[0, 1, 2]))
    case.setup(project)
    path = store(project)
    before = kept(path, case.preserve)
    with case.during(project) if case.during else nothing_more():
        outcome = gate(project)
        # The verdict CI acts on is the verdict without history, whatever the store is.
        check(outcome, Expect(codes=[truth.code]))
        assert outcome.report()["status"] == truth.report()["status"]
        warned = "gate history not recorded" in outcome.stderr
        assert warned != case.records, outcome.stderr
        for text in case.says:
            assert text in outcome.stderr, f"{case.name}: {text!r} not in {outcome.stderr!r}"
        listing = run_prepctl("-c", project.plan, "history", cwd=project.dir)
        check(listing, Expect(codes=[case.listing_code]))
        if case.listing_code == 2:
            assert f"prepctl: {path}: " in listing.stderr, listing.stderr
    if case.runs_after is not None:
        assert recorded(project) == case.runs_after
    assert kept(path, case.preserve) == before, f"{case.name}: prepctl changed a store it cannot use"
    if case.after is not None:
        case.after(project)


_GATE_AFTER_BARRIER = """
import os, sys, time
flag = sys.argv[1]
while not os.path.exists(flag):
    time.sleep(0.005)
os.execv(sys.executable, [sys.executable, "-m", "prepctl", *sys.argv[2:]])
"""


def test_concurrent_gate_runs_all_land(tmp_path: Path) -> None:
    # Four `prepctl gate` processes released together (a file is the barrier), on a store that
    # does not exist yet: every run is recorded whole, every exit code is the gate's own.
    project = make_project(tmp_path)
    truth = gate(project, env=NO_HISTORY)
    barrier = tmp_path / "go"
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", _GATE_AFTER_BARRIER, str(barrier), "-c", str(project.plan),
                               "gate", PHASE, "--format", "json"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    time.sleep(0.5)
    barrier.touch()
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == truth.code, stderr
        assert "Traceback" not in stderr and "warning" not in stderr, stderr
        assert json.loads(stdout)["status"] == truth.report()["status"]
    assert recorded(project) == 4
    connection = sqlite3.connect(store(project))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = connection.execute("SELECT count(*) FROM criterion_results GROUP BY run_id").fetchall()
        assert len(counts) == 4 and len({c for (c,) in counts}) == 1  # each run whole
    finally:
        connection.close()


@dataclass(frozen=True)
class ImportCase:
    name: str
    defect: str
    #: Makes the file given to `history import` in a folder.
    make: Callable[[Path], Path]
    says: tuple[str, ...]


def _fifo_file(folder: Path) -> Path:
    os.mkfifo(folder / "export.jsonl")
    return folder / "export.jsonl"


def _latin1_file(folder: Path) -> Path:
    (folder / "export.jsonl").write_bytes(b'{"title": "caf\xe9"}\n')
    return folder / "export.jsonl"


IMPORT_CASES = [
    ImportCase("import-fifo", "`history import FIFO` blocked forever", _fifo_file,
               ("is a FIFO (named pipe), not a regular file",)),
    ImportCase("import-dev-zero", "`history import /dev/zero` read without end",
               lambda _: Path("/dev/zero"), ("is a character device",)),
    ImportCase("import-folder", "a folder", lambda folder: folder, ("is a folder",)),
    ImportCase("import-not-utf8", "undecodable bytes, at their line:col", _latin1_file,
               (":1:15: not UTF-8: byte 0xe9",)),
]


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[case.name for case in IMPORT_CASES])
def test_history_import_input(case: ImportCase, tmp_path: Path) -> None:
    project = make_project(tmp_path, git=False)
    source = tmp_path / "in"
    source.mkdir()
    target = case.make(source)
    outcome = run_prepctl("-c", project.plan, "history", "import", target, cwd=project.dir, limit=20)
    check(outcome, Expect(codes=[2], mentions=[f"prepctl: {target}", *case.says]))
    assert not store(project).exists()  # nothing imported, no store created for nothing
