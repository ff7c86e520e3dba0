"""`prepctl status`: every phase's state and schedule, evaluated now."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from prepctl.commands._session import Session, session_of


def status(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    on: Annotated[str | None, typer.Option("--on", help="Judge the schedule as of this day "
                  "(YYYY-MM-DD; default today). Criteria are still evaluated now.")] = None,
    from_history: Annotated[bool, typer.Option(
        "--from-history", help="Reuse the newest recorded `prepctl gate --all` run of this exact tree "
        "state (same phases.yaml, same commit, clean work tree) instead of evaluating again; exit 2 "
        "when there is none.")] = False,
) -> None:
    """Every phase with its weeks, dependencies and state, evaluated now; with a start_date in
    phases.yaml also its schedule: done, overdue, late start, in progress or upcoming.

    States: passed; ready (dependencies passed, only sign-offs missing); failing (dependencies
    passed, criteria fail or error); blocked by X (dependency X has not passed).
    """
    from prepctl.evaluate import evaluation_for
    from prepctl.formats import render_status
    from prepctl.status import plan_status

    plan = session_of(ctx).load_plan()
    today = parse_day(on, "--on")
    evaluation = evaluation_for(plan, plan.order(), from_history)
    if evaluation.used:
        typer.echo(f"prepctl: {evaluation.used}", err=True)
    rows = plan_status(plan, today=today, evaluation=evaluation)
    typer.echo(render_status(rows, fmt), nl=False)


def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value as a date (None when not given); exit 2 when malformed."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        Session.fail_input(f"{option} {text!r} is not a date (use YYYY-MM-DD, e.g. 2026-12-01)")
