"""`prepctl report --out DIR`: the static HTML dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._session import session_of


def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write index.html into.")],
) -> None:
    """Write a self-contained HTML dashboard: the phase timeline, each phase's verdicts with
    evidence, the ORM dependency graph when available, and measured values (any gate's metrics) and gate results over
    time from the gate history."""
    from prepctl.documents import output
    from prepctl.documents.dashboard import render_dashboard

    planned = render_dashboard(session_of(ctx).load_plan(), out)
    verb = "wrote" if output.write(planned) else "unchanged"
    typer.echo(f"{verb} {planned.path}")
