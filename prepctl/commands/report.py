"""`prepctl report --out DIR`: the static HTML dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._session import session_of


def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write index.html into.")],
    from_history: Annotated[bool, typer.Option(
        "--from-history", help="Reuse the newest recorded `prepctl gate --all` run of this exact tree "
        "state (same phases.yaml, same commit, clean work tree) instead of evaluating again; exit 2 "
        "when there is none.")] = False,
) -> None:
    """Write a self-contained HTML dashboard: the phase timeline, each phase's verdicts with
    evidence, the ORM dependency graph when available, and measured values (any gate's metrics) and gate results over
    time from the gate history. Each criterion is evaluated once."""
    from prepctl.documents import output
    from prepctl.documents.dashboard import render_dashboard
    from prepctl.evaluate import evaluation_for

    plan = session_of(ctx).load_plan()
    evaluation = evaluation_for(plan, plan.order(), from_history)
    if evaluation.used:
        typer.echo(f"prepctl: {evaluation.used}", err=True)
    planned = render_dashboard(plan, out, evaluation)
    verb = "wrote" if output.write(planned) else "unchanged"
    typer.echo(f"{verb} {planned.path}")
