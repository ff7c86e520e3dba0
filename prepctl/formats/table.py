"""`--format table`: a rich table for people, coloured as rich colours (FORCE_COLOR, NO_COLOR, a terminal).

Gate text reaches a terminal here: ``shown`` strips its escape sequences and controls (an OSC
could retitle the window or plant a hyperlink) and escapes rich markup; rich's own styles, added
around it, still colour the table.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from typing import TYPE_CHECKING

from prepctl.formats.interface import Format
from prepctl.inert import clean
from prepctl.verdicts import GateReport, Status

if TYPE_CHECKING:
    from rich.console import Console

    from prepctl.status import PhaseState

STYLES = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "red", Status.ERROR: "bold red",
          Status.SKIP: "dim"}
#: Schedule states worth a colour; "in progress" and "upcoming" stay plain.
SCHEDULE_STYLES = {"overdue": "bold red", "late start": "yellow", "done": "green"}
MAX_EVIDENCE = 8


def shown(text: object) -> str:
    """Untrusted text for a rich cell or title: inert, redacted, markup-escaped."""
    from rich.markup import escape

    return escape(clean(text))


class _StdoutBuffer(io.StringIO):
    """The table is rendered into a buffer but printed on standard output: rich asks the buffer
    whether it is a terminal, so it answers for standard output."""

    def isatty(self) -> bool:
        try:
            return sys.stdout.isatty()
        except (ValueError, AttributeError):  # closed or replaced stdout: not a terminal
            return False


def _console(buffer: io.StringIO) -> Console:
    from rich.console import Console

    # Colour is decided by rich's own rules, from the environment, because that is what users of
    # other rich tools expect: TTY_COMPATIBLE=1/0 first, then FORCE_COLOR (non-empty: colour even
    # on a pipe, as in GitHub Actions logs; empty: none), then whether standard output is a
    # terminal; NO_COLOR (non-empty) then drops colours but keeps bold and dim; TERM=dumb, none.
    tty = sys.stdout.isatty()
    # shutil reads COLUMNS first, so `COLUMNS=200 prepctl status > log` widens a piped table too.
    width = shutil.get_terminal_size((120, 24)).columns if tty or "COLUMNS" in os.environ else 120
    return Console(file=buffer, width=width, highlight=False, emoji=False, soft_wrap=False)


class TableFormat(Format):
    name = "table"

    def render(self, report: GateReport) -> str:
        from rich.table import Table

        buffer = _StdoutBuffer()
        console = _console(buffer)
        for phase in report.phases:
            at = f" @ {phase.revision[:12]}" if phase.revision else ""
            table = Table(title=f"{phase.phase}: {shown(phase.title)}{shown(at)} — "
                          f"[{STYLES[phase.status]}]{phase.status.value.upper()}[/]",
                          title_justify="left", expand=False, show_lines=False)
            table.add_column("status", no_wrap=True)
            table.add_column("criterion")
            table.add_column("kind", no_wrap=True)
            table.add_column("summary / evidence")
            for c in phase.criteria:
                detail = shown(c.verdict.summary)
                if c.status is not Status.PASS:
                    listed = [e for e in c.verdict.evidence if e.location or e.label][:MAX_EVIDENCE]
                    for e in listed:
                        where = f" ({e.location})" if e.location else ""
                        detail += "\n  · " + shown(f"{e.label}{where}")
                    extra = len(c.verdict.evidence) - len(listed)
                    if extra > 0:
                        detail += f"\n  · … {extra} more (see --format json)"
                name = shown(c.id) + (" [dim](advisory)[/]" if c.advisory else "")
                table.add_row(f"[{STYLES[c.status]}]{c.status.value}[/]", name, c.kind, detail)
            console.print(table)
            console.print()
        console.print(f"overall: [{STYLES[report.status]}]{report.status.value.upper()}[/]")
        return buffer.getvalue()

    def render_status(self, rows: list[PhaseState]) -> str:
        from rich.table import Table

        buffer = _StdoutBuffer()
        console = _console(buffer)
        table = Table(title="phases", title_justify="left")
        scheduled = any(row.schedule for row in rows)
        for column in ("phase", "title", "weeks", "depends on", "state", "criteria") + (
                ("schedule",) if scheduled else ()):
            table.add_column(column)
        for row in rows:
            cells = [row.phase, shown(row.title), shown(row.weeks), shown(", ".join(row.depends_on) or "—"),
                     f"[{STYLES[row.status]}]{shown(row.state)}[/]", shown(row.counts_text())]
            if row.schedule:
                style = SCHEDULE_STYLES.get(row.schedule.state)
                cells.append(f"[{style}]{shown(row.schedule.text)}[/]" if style else shown(row.schedule.text))
            table.add_row(*cells)
        console.print(table)
        return buffer.getvalue()
