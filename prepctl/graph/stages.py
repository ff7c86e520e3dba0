"""Per-stage wall and CPU time of a graph command, printed on stderr when asked.

``PREPCTL_SCAN_STATS=1`` in the environment (or ``--stats`` on the graph commands, which sets
it) turns it on: each stage of the scan, the graph build, the query and the output is timed,
and a table goes to stderr when the process exits. CPU is the process's own (user + system)
and, separately, that of the child processes it waited for in the stage (ruff's syntax check,
the forked parsers), from ``os.times()`` (getrusage's counters). Off, ``stage()`` costs one attribute lookup.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

ENV = "PREPCTL_SCAN_STATS"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class StageTime:
    name: str
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    children_cpu: float = 0.0


class StageClock:
    def __init__(self) -> None:
        self.stages: dict[str, StageTime] = {}
        self.enabled = False
        self._registered = False

    def enable(self) -> None:
        self.enabled = True
        if not self._registered:
            import atexit

            atexit.register(self.print_report)
            self._registered = True

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        wall, own, children = time.perf_counter(), _own_cpu(), _children_cpu()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, _own_cpu() - own, _children_cpu() - children)

    def add(self, name: str, wall: float, cpu: float, children_cpu: float) -> None:
        entry = self.stages.setdefault(name, StageTime(name))
        entry.calls += 1
        entry.wall += wall
        entry.cpu += cpu
        entry.children_cpu += children_cpu

    def laps(self) -> Laps:
        """A stopwatch for consecutive stages of one function: ``laps.done("walk")`` charges the
        time since the previous ``done`` (or since ``laps()``) to "walk"."""
        return Laps(self) if self.enabled else _OFF

    def report(self) -> str:
        rows = [f"{'stage':<28} {'calls':>5} {'wall s':>8} {'cpu s':>8} {'children cpu s':>15}"]
        for entry in self.stages.values():
            rows.append(f"{entry.name:<28} {entry.calls:>5} {entry.wall:>8.3f} {entry.cpu:>8.3f} "
                        f"{entry.children_cpu:>15.3f}")
        total = _own_cpu() + _children_cpu()
        rows.append(f"process so far: cpu {total:.3f} s (own + children), "
                    f"max rss {_max_rss_mb():.0f} MB")
        return "\n".join(rows)

    def print_report(self) -> None:
        if self.stages:
            print("prepctl scan stats (PREPCTL_SCAN_STATS):\n" + self.report(), file=sys.stderr)


class Laps:
    def __init__(self, clock: StageClock | None) -> None:
        self.clock = clock
        self._mark = (time.perf_counter(), _own_cpu(), _children_cpu()) if clock is not None else (0, 0, 0)

    def done(self, name: str) -> None:
        if self.clock is None:
            return
        now = (time.perf_counter(), _own_cpu(), _children_cpu())
        self.clock.add(name, *(b - a for a, b in zip(self._mark, now, strict=True)))
        self._mark = now


_OFF = Laps(None)


def _own_cpu() -> float:
    times = os.times()  # the same counters as resource.getrusage, and on every platform
    return times.user + times.system


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _max_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def timed(name: str) -> Callable[[F], F]:
    """Decorate a function so each call counts as stage ``name``."""
    def wrap(function: F) -> F:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not CLOCK.enabled:
                return function(*args, **kwargs)
            with CLOCK.stage(name):
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap


#: The process's clock: on when PREPCTL_SCAN_STATS is set to anything but "" or "0".
CLOCK = StageClock()
if os.environ.get(ENV, "") not in ("", "0"):
    CLOCK.enable()
stage = CLOCK.stage
