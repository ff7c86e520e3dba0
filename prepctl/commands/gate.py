"""`prepctl gate`: evaluate a phase's exit criteria and exit 0 pass, 1 fail, 2 error."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._session import session_of


class GateFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    github = "github"


def gate(
    ctx: typer.Context,
    phase: Annotated[str | None, typer.Argument(help="Phase id, e.g. phase-1.")] = None,
    all_phases: Annotated[bool, typer.Option("--all", help="Evaluate every phase.")] = False,
    with_deps: Annotated[bool, typer.Option("--with-deps", help="Evaluate its predecessors first.")] = False,
    fmt: Annotated[GateFormat, typer.Option("--format", "-f", help="Output format.")] = GateFormat.table,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warn as fail.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the output to FILE.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Evaluate code-based criteria at this git "
                  "revision without touching the work tree; live criteria are skipped.")] = None,
) -> None:
    """Evaluate a phase's exit criteria and exit 0 pass, 1 fail, 2 error."""
    from prepctl.evaluate import GateRequest, run_gate
    from prepctl.fileio import atomic_write_text, output_target
    from prepctl.formats import render_gate_report

    plan = session_of(ctx).load_plan()
    if out is not None and str(out) == "-":
        out = None  # the report goes to standard output anyway, as `--out -` means elsewhere
    if out is not None:  # a target prepctl will not write is refused before any gate runs
        output_target(out)
    outcome = run_gate(plan, GateRequest(phase=phase, all_phases=all_phases, with_deps=with_deps,
                                         strict=strict, at=at))
    text = render_gate_report(outcome.report, fmt.value)
    if out is not None:
        atomic_write_text(out, text)
    typer.echo(text, nl=False)
    raise typer.Exit(outcome.exit_code)
