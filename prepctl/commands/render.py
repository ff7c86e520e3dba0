"""`prepctl render rfc|runbook|postmortem`: documents from phases.yaml and the gates' evaluation."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._completion import complete_phases
from prepctl.commands._session import session_of

app = typer.Typer(
    help="Render documents: RFCs per phase, RUNBOOK.md sections per service, post-mortems from "
    "gate history. Markdown by default (merged region by region into existing files, so hand "
    "edits outside the generated regions are kept), or self-contained HTML with --format html.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

STDOUT = "-"


class DocFormatOption(StrEnum):
    markdown = "markdown"
    html = "html"


FormatOpt = Annotated[DocFormatOption, typer.Option("--format", "-f", help="markdown or html.")]
FromHistoryOpt = Annotated[bool, typer.Option(
    "--from-history", help="Reuse the newest recorded `prepctl gate` run of this exact tree state "
    "(same phases.yaml, same commit, clean work tree) instead of evaluating again; exit 2 when "
    "there is none or it lacks a phase.")]


def _format(option: DocFormatOption):
    from prepctl.documents.output import DocFormat

    return DocFormat(option.value)


def _finish(planned: list, to_stdout: bool) -> None:
    from prepctl.documents import output

    for item in planned:
        if to_stdout:
            output.emit(item.new)
            continue
        verb = "wrote" if output.write(item) else "unchanged"
        typer.echo(f"{verb} {item.path}")


@app.command()
def rfc(
    ctx: typer.Context,
    phase: Annotated[str | None, typer.Argument(help="Phase id, e.g. phase-1.", autocompletion=complete_phases)] = None,
    all_phases: Annotated[bool, typer.Option("--all", help="Every phase.")] = False,
    fmt: FormatOpt = DocFormatOption.markdown,
    out: Annotated[str | None, typer.Option("--out", "-o", help="File (a folder with --all), or - "
                   "for stdout. Default: the phase's signoff criterion's rfc: path "
                   "(docs/rfc/PHASE.md next to phases.yaml).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 naming each RFC whose "
                     "content is stale, with a unified diff (for CI). The state regions (status, "
                     "verdicts, signoffs) are not compared: they follow the monolith and the "
                     "approvals.")] = False,
    from_history: FromHistoryOpt = False,
) -> None:
    """The RFC of a phase: owners, approvers, dates, tasks, exit criteria with their current
    verdicts and evidence, risks, rollback flags and the sign-off table. Each criterion is
    evaluated once per invocation, however many RFCs are rendered."""
    from prepctl.documents.rfc import check_rfcs, render_rfcs
    from prepctl.evaluate import evaluation_for, select_phases

    if phase is not None and all_phases:
        raise typer.BadParameter("name a PHASE or pass --all, not both")
    plan = session_of(ctx).load_plan()
    ids = select_phases(plan, phase, all_phases, with_deps=False)
    evaluation = evaluation_for(plan, ids, from_history)
    if evaluation.used:
        typer.echo(f"prepctl: {evaluation.used}", err=True)
    doc_format = _format(fmt)
    planned = render_rfcs(plan, ids, doc_format, None if out in (None, STDOUT) else Path(out), evaluation)
    if check:
        result = check_rfcs(ids, planned, doc_format)
        typer.echo(result.stdout, nl=False)
        typer.echo(result.stderr, nl=False, err=True)
        raise typer.Exit(result.exit_code)
    _finish(planned, out == STDOUT)


@app.command()
def runbook(
    ctx: typer.Context,
    fmt: FormatOpt = DocFormatOption.markdown,
    out: Annotated[str | None, typer.Option("--out", "-o", help="- prints the updated runbook "
                   "instead of writing it; a FILE is updated instead of RUNBOOK.md.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 and print a unified "
                     "diff when the file is stale (for CI).")] = False,
) -> None:
    """Update the generated sections of RUNBOOK.md at the monolith's root (honours --root): one
    region per service in phases.yaml's services:. Only text between prepctl:begin/end markers
    changes; a missing region is appended. Bad markers: exit 2, file untouched."""
    from prepctl.documents import output
    from prepctl.documents.engine import Renderer
    from prepctl.documents.output import DocFormat
    from prepctl.documents.runbook import render_runbook, render_text

    plan = session_of(ctx).load_plan()
    doc_format = _format(fmt)
    if doc_format is DocFormat.html and out == STDOUT:
        renderer = Renderer(plan.config_dir)
        markdown = render_text(plan, renderer)
        output.emit(output.html_document(renderer, markdown, output.first_heading(markdown, "Runbook")))
        return
    planned = render_runbook(plan, doc_format, None if out in (None, STDOUT) else Path(out))
    if check:
        if planned.changed:
            typer.echo(planned.diff(planned.path.name), nl=False)
            typer.echo(f"prepctl: {planned.path} is stale; run `prepctl render runbook`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{planned.path} is up to date")
        return
    _finish([planned], out == STDOUT)


@app.command()
def postmortem(
    ctx: typer.Context,
    phase: Annotated[str, typer.Argument(help="Phase id, e.g. phase-1.", autocompletion=complete_phases)],
    fmt: FormatOpt = DocFormatOption.markdown,
    out: Annotated[str | None, typer.Option("--out", "-o", help="File, or - for stdout. Default: "
                   "docs/postmortems/PHASE[-INCIDENT].md next to phases.yaml.")] = None,
    incident: Annotated[str | None, typer.Option("--incident", help="Title of the incident this "
                        "post-mortem is about (default: the phase itself).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only gate runs from this date/time "
                     "(ISO 8601, UTC unless given).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only gate runs up to this date/time.")] = None,
) -> None:
    """A post-mortem with its timeline pre-filled from gate history: when each criterion first
    failed, first passed, regressed; SLO impact; what went well/badly; action items; lessons."""
    from prepctl.documents.postmortem import parse_moment, render_postmortem
    from prepctl.fileio import output_target

    plan = session_of(ctx).load_plan()
    if out not in (None, STDOUT):
        output_target(Path(out))  # a FIFO, device or dangling link: refused before it is read
    planned = render_postmortem(
        plan, phase, _format(fmt), None if out in (None, STDOUT) else Path(out), incident,
        parse_moment(since, "--since") if since else None, parse_moment(until, "--until") if until else None)
    _finish([planned], out == STDOUT)
