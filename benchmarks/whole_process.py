"""Run one command as a whole process and measure it: wall time, CPU time and peak memory.

Shared by corpus_bench.py, scale_bench.py and gate_bench.py. The child's resource usage comes
from ``os.wait4``, which on Linux covers the child and every descendant it waited for (prepctl's
forked parsers and its ruff process, grimp's Rust threads), so CPU seconds are the whole job's.
Peak memory is ``ru_maxrss``: the largest resident set of the child or of any one descendant.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One whole-process run."""

    wall: float
    cpu: float
    peak_mb: float
    returncode: int
    output: str


def run_process(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
                ok_codes: tuple[int, ...] = (0,)) -> Sample:
    """Run ARGS to completion, stdout and stderr to a temporary file (a pipe could fill and stall
    the child), and fail loudly if its exit code is not one of OK_CODES."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"whole-process-{os.getpid()}.log"
    with open(log, "w+b") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    log.unlink(missing_ok=True)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}:\n{text[-3000:]}")
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_mb=usage.ru_maxrss / 1024,
                  returncode=proc.returncode, output=text)


@dataclass(frozen=True)
class Summary:
    """The median wall and CPU time of several runs, and the largest peak memory."""

    runs: int
    wall: float
    cpu: float
    peak_mb: float

    @classmethod
    def of(cls, samples: list[Sample]) -> Summary:
        return cls(runs=len(samples), wall=statistics.median(s.wall for s in samples),
                   cpu=statistics.median(s.cpu for s in samples),
                   peak_mb=max(s.peak_mb for s in samples))
