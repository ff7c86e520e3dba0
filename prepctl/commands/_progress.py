"""A transient progress bar on standard error while a long command works (`gate --all`, `shadow`).

Only on a terminal: when stderr is a pipe or a file (CI logs, `2> log`), nothing is drawn, not
even with FORCE_COLOR, because a redrawn bar in a log is hundreds of lines of noise. Standard
output is never touched, so `--format json > report.json` stays clean either way. The bar is
transient: it is erased when the work ends and only the result remains.

The library reports through a plain ``on_progress(done, total, label)`` callback (see
``prepctl.evaluate.ProgressCallback``); rich is imported here, and only when a bar is drawn.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import Progress, TaskID


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (ValueError, AttributeError):  # closed or replaced stderr
        return False


class StderrProgress:
    """``with StderrProgress("evaluating") as on_progress:``; ``on_progress`` is None off a
    terminal, so the library skips the calls altogether."""

    def __init__(self, description: str, enabled: bool | None = None):
        self.description = description
        self.enabled = stderr_is_terminal() if enabled is None else enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Callable[[int, int, str], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # stderr was checked to be a terminal: say so, so that FORCE_COLOR="" or TTY_COMPATIBLE=0
        # cannot turn the live bar into lines printed one after another.
        console = Console(stderr=True, force_terminal=True, force_interactive=True, highlight=False)
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TextColumn("{task.fields[label]}"),
                                  console=console, transient=True)
        self._task = self._progress.add_task(self.description, total=None, label="")
        self._progress.start()
        return self.update

    def update(self, done: int, total: int, label: str) -> None:
        from rich.markup import escape

        from prepctl.inert import clean

        if self._progress is None or self._task is None:
            return
        # The label is plan or traffic text: no escape sequence or markup reaches the terminal.
        self._progress.update(self._task, completed=done, total=total, label=escape(clean(label)))

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
