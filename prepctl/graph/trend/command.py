"""`prepctl graph trend`: one request in, the text to print out (and the chart and --out file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from prepctl.errors import PrepctlError, Problem
from prepctl.graph.model import EdgeFilter
from prepctl.graph.trend.history import compute_trend
from prepctl.graph.trend.model import ProgressCallback
from prepctl.graph.trend.render import render

if TYPE_CHECKING:
    from prepctl.graph.contracts import ContractOptions
    from prepctl.graph.load import GraphSettings


@dataclass(frozen=True)
class TrendRequest:
    """What `prepctl graph trend` was asked, in one value (the CLI only fills it in)."""

    module: str
    since: str | None = None
    until: str | None = None
    first_parent: bool = False
    every: int = 1
    fmt: str = "table"
    plot: Path | None = None
    groups: bool = False
    out: Path | None = None
    #: Tagged imports to leave out: type-checking, dynamic, guarded (as the other graph commands).
    ignore: tuple[str, ...] = ()
    #: Also count each `imports` contract's violations per commit.
    contracts: bool = False


def run_trend(settings: GraphSettings, request: TrendRequest, *, show_progress: bool = False) -> str:
    """Compute the trend, write the chart and ``--out`` file if asked, and return the text to print."""
    if request.fmt not in ("table", "csv", "json"):
        raise PrepctlError(f"unknown --format {request.fmt!r}: use table, csv or json")
    if request.plot is not None and request.plot.suffix.lower() not in (".svg", ".png"):
        raise PrepctlError(f"--plot {request.plot}: use a file name ending in .svg or .png")
    if request.groups and not settings.groups:
        raise PrepctlError(Problem(file=settings.source_label, message="--groups needs downstream groups",
                                   hint="add graph: groups: {name: [module patterns]} to phases.yaml"))
    try:
        edge_filter = EdgeFilter.ignoring(request.ignore)
    except ValueError as exc:
        raise PrepctlError(f"--ignore: {exc}") from None
    contracts = _trend_contracts(settings) if request.contracts else None
    cache = settings.cache
    with terminal_progress(show_progress) as progress:
        result = compute_trend(settings.root, request.module, settings.scan, cache, since=request.since,
                               until=request.until, first_parent=request.first_parent, every=request.every,
                               groups=settings.groups if request.groups else None, edge_filter=edge_filter,
                               progress=progress, contracts=contracts)
    if cache is not None:
        cache.close()
    text = render(result, request.fmt)
    if request.plot is not None:
        # Lazy: the chart code costs more to import than a warm trend's counting (--plot only).
        from prepctl.graph.trend.chart import write_plot

        write_plot(result, request.plot)
    if request.out is not None:
        from prepctl.fileio import atomic_write_text

        atomic_write_text(request.out, text)
    return text


def _trend_contracts(settings: GraphSettings) -> list[tuple[str, ContractOptions]]:
    """The plan's contracts that can be checked at any commit: all but `audit`, which compares
    the graph with a report committed at one point in time."""
    from prepctl.graph.load import plan_contracts

    found = [(cid, options) for cid, options in plan_contracts(settings) if options.type != "audit"]
    if not found:
        raise PrepctlError(Problem(file=settings.source_label,
                                   message="--contracts needs `imports` criteria other than audit in phases.yaml",
                                   hint="add a forbidden, layers, independence, facade, acyclic or "
                                        "decommission contract, or leave out --contracts"))
    return found


class terminal_progress:  # noqa: N801 - used like a function in a `with` statement
    """A progress bar on stderr while the history is walked, only when stderr is a terminal."""

    _LABELS: ClassVar[dict[str, str]] = {"history": "reading history", "parse": "parsing new files",
                                         "count": "counting importers"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> ProgressCallback | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._progress.start()
        return self._update

    def _update(self, stage: str, done: int, total: int) -> None:
        assert self._progress is not None
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(self._LABELS.get(stage, stage), total=total)
        # Redrawing on every commit would cost more than the work on a fast walk.
        if done == total or done % 25 == 0:
            self._progress.update(task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
