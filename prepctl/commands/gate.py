"""`prepctl gate`: evaluate a phase's exit criteria and exit 0 pass, 1 fail, 2 error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._completion import complete_phases
from prepctl.commands._progress import StderrProgress
from prepctl.commands._session import session_of
from prepctl.commands._vocabulary import normalize_token


def gate(
    ctx: typer.Context,
    phase: Annotated[str | None, typer.Argument(help="Phase id, e.g. phase-1.",
                                                autocompletion=complete_phases)] = None,
    all_phases: Annotated[bool, typer.Option("--all", help="Evaluate every phase.")] = False,
    with_deps: Annotated[bool, typer.Option("--with-deps", help="Evaluate its predecessors first.")] = False,
    # A free-form name checked against the format registry, so a plugin's format is accepted;
    # reading the registry here would load importlib.metadata for every `prepctl --help`.
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="<format>", help="Output format: table, "
                   "json, markdown, junit, github, sarif, or one a plugin registers.")] = "table",
    strict: Annotated[bool, typer.Option("--strict", help="Treat warn as fail.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the output to FILE.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Evaluate code-based criteria at this git "
                  "revision without touching the work tree; live criteria are skipped.")] = None,
) -> None:
    """Evaluate a phase's exit criteria and exit 0 pass, 1 fail, 2 error."""
    from prepctl.evaluate import GateRequest, run_gate
    from prepctl.fileio import atomic_write_text, output_target
    from prepctl.formats import get_format
    from prepctl.inert import strip_escapes

    output_format = get_format(normalize_token(fmt))  # an unknown format: exit 2 before any gate runs
    plan = session_of(ctx).load_plan()
    if out is not None and str(out) == "-":
        out = None  # the report goes to standard output anyway, as `--out -` means elsewhere
    if out is not None:  # a target prepctl will not write is refused before any gate runs
        output_target(out)
    with StderrProgress("evaluating") as on_progress:  # drawn only when stderr is a terminal
        outcome = run_gate(plan, GateRequest(phase=phase, all_phases=all_phases, with_deps=with_deps,
                                             strict=strict, at=at), on_progress=on_progress)
    text = output_format.render(outcome.report)
    if out is not None:
        # The table's colours are for the terminal (or a FORCE_COLOR log), never for the file.
        atomic_write_text(out, strip_escapes(text))
    typer.echo(text, nl=False)
    raise typer.Exit(outcome.exit_code)
