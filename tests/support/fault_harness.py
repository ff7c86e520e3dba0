"""The fault corpus's runner: one hostile case, run as a user would, and the invariants every
case must keep whatever its category.

A case runs prepctl in a subprocess with a hard time limit and stdin closed, then the caller
asserts with :func:`check`:

- **no false pass**: the named criterion (or the whole run) is never ``pass`` when the case says
  the truth is unknown or failing;
- **no traceback** and no "internal error" in stdout or stderr;
- **no hang**: the run ends within its limit (a timeout fails the case, naming it);
- **no leak**: no secret string in stdout, stderr or any file under the folders the case names;
- **nothing lost**: files the case declares hand-written keep their exact bytes (``preserved``).

Categories live one per test module in tests/faults/ (``test_<category>_<area>.py``); each holds its cases
as data and one parametrized test that feeds them here. ``CATEGORIES`` names them for the
reliability table in docs/reliability.md (``scripts/fault_corpus_table.py`` counts them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES = ("configs", "servers", "trees", "documents", "history", "secrets", "injection")

#: Seconds a single prepctl run may take before the case counts as a hang.
DEFAULT_LIMIT = 60.0

TRACEBACK_MARKERS = ("Traceback (most recent call last)", "internal error")


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def report(self) -> dict:
        """The JSON report on stdout (``--format json``)."""
        return json.loads(self.stdout)

    def criterion_status(self, criterion: str) -> str:
        """A criterion's status in a ``--format json`` report, single or several phases."""
        data = self.report()
        phases = data.get("phases", [data])
        for phase in phases:
            for item in phase.get("criteria", []):
                if item["id"] == criterion:
                    return item["status"]
        raise AssertionError(f"criterion {criterion!r} not in the report: {self.stdout[:2000]}")


class Hang(AssertionError):
    """A run that did not end within its limit."""


def run_prepctl(*args: str | Path, cwd: Path, env: Mapping[str, str] | None = None,
                limit: float = DEFAULT_LIMIT, stdin: int | None = subprocess.DEVNULL) -> Outcome:
    """prepctl as a subprocess; a run past ``limit`` seconds is killed and raised as a Hang."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    argv = (sys.executable, "-m", "prepctl", *map(str, args))
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=full_env,
                              timeout=limit, stdin=stdin, errors="replace")
    except subprocess.TimeoutExpired as exc:
        raise Hang(f"hang: prepctl {' '.join(map(str, args))} still running after {limit:.0f} s") from exc
    return Outcome(tuple(map(str, args)), proc.returncode, proc.stdout, proc.stderr,
                   time.monotonic() - start)


def files_under(folders: Iterable[Path]) -> dict[Path, bytes]:
    """Every regular file below ``folders`` (links not followed), with its bytes."""
    found: dict[Path, bytes] = {}
    for folder in folders:
        if folder.is_file():
            found[folder] = folder.read_bytes()
            continue
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                found[path] = path.read_bytes()
    return found


@dataclass
class Expect:
    """What a case promises. Unset fields are not checked."""

    #: Exit codes allowed (e.g. {2} for bad input; {1, 2} for "fail or error, never pass").
    codes: Sequence[int] | None = None
    #: Statuses a named criterion may end with; ``pass`` may only appear if the truth is pass.
    criterion: str | None = None
    statuses: Sequence[str] = ("fail", "error")
    #: Text that must appear in stdout+stderr (e.g. a file:line, the reason).
    mentions: Sequence[str] = ()
    #: Strings that must appear nowhere: not in output, not in any file under ``scan``.
    secrets: Sequence[str] = ()
    scan: Sequence[Path] = ()
    #: Files whose exact bytes must survive the run (hand-written text).
    preserved: Mapping[Path, bytes] = field(default_factory=dict)


def check(outcome: Outcome, expect: Expect) -> None:
    """Assert the invariants every fault case keeps, then the case's own promises."""
    where = f"prepctl {' '.join(outcome.args)} (exit {outcome.code})"
    for marker in TRACEBACK_MARKERS:
        assert marker not in outcome.text, f"{where}: {marker!r} in output:\n{outcome.text[-3000:]}"
    if expect.codes is not None:
        assert outcome.code in expect.codes, f"{where}: exit {outcome.code}, expected one of " \
                                             f"{list(expect.codes)}:\n{outcome.text[-3000:]}"
    if expect.criterion is not None:
        status = outcome.criterion_status(expect.criterion)
        assert status in expect.statuses, f"{where}: {expect.criterion} is {status}, " \
                                          f"expected {list(expect.statuses)}:\n{outcome.stdout[-3000:]}"
    for text in expect.mentions:
        assert text in outcome.text, f"{where}: {text!r} not in output:\n{outcome.text[-3000:]}"
    if expect.secrets:
        written = files_under(expect.scan)
        for secret in expect.secrets:
            assert secret not in outcome.text, f"{where}: secret {secret!r} in output"
            for path, data in written.items():
                assert secret.encode() not in data, f"{where}: secret {secret!r} written to {path}"
    for path, data in expect.preserved.items():
        assert path.read_bytes() == data, f"{where}: hand-written bytes of {path} changed"
