"""`prepctl init PLAN.md`: a starting phases.yaml from the team's Markdown plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._session import session_of


def init(
    ctx: typer.Context,
    plan: Annotated[Path, typer.Argument(help="The plan in Markdown: '## Phase N – Title (Weeks A-B)' "
                                         "headings with bullet points under them.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The phases.yaml to create (never "
                                      "overwritten).")] = Path("phases.yaml"),
) -> None:
    """Write a phases.yaml from PLAN.md: each phase heading a phase, each bullet a task and a
    `manual` criterion to replace with a gate. The monolith is --root (default: OUT's folder)."""
    from prepctl.scaffold import init_plan

    given = session_of(ctx).root
    root = given if given is not None else (out.parent if str(out.parent) else Path("."))
    result = init_plan(plan, out, root)
    typer.echo(f"wrote {result.path}: {result.phases} phases, {result.criteria} criteria, all `manual` "
               "for now (each needs a sign-off until you replace it with a gate that checks it).")
    if result.python_files == 0:
        typer.echo(f"prepctl: warning: no Python files under {root}: `imports` criteria and graph "
                   "commands will report errors until root: points at the monolith", err=True)
    typer.echo(f"next: prepctl -c {result.path} status; then turn criteria into gates (docs/gates/index.md).")
