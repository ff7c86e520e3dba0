"""The command line. Thin: parse arguments, call one function, map the result to an exit code.

Heavy modules are imported inside commands so `prepctl --help` stays fast.

Exit codes: 0 pass, 1 fail, 2 error or invalid input.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

EXIT_HELP = "Exit codes: 0 pass (warn passes unless --strict), 1 fail, 2 error or invalid input."

app = typer.Typer(
    name="prepctl",
    help="Make a phased monolith-extraction plan executable: gate phases on their exit criteria, "
    "report import graphs, render documents.\n\n" + EXIT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class Globals:
    config: Path | None = None
    root: Path | None = None


G = Globals()


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    github = "github"


def _version(value: bool) -> None:
    if value:
        from prepctl import __version__

        typer.echo(f"prepctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="phases.yaml to use "
                      "(default: ./phases.yaml or the nearest one above).")] = None,
    root: Annotated[Path | None, typer.Option("--root", help="Check this checkout of the monolith "
                    "instead of phases.yaml's root:.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                       help="Print the version and exit.")] = False,
) -> None:
    if config is not None and str(config) == "-":
        # A plan's relative paths (root:, reports, baselines) are relative to its folder; standard
        # input has none, so reading it would resolve them against wherever the shell happens to be.
        fail_input("-c -: a plan is not read from standard input; save it to a file and pass its path")
    G.config = config
    G.root = root


def fail_input(message: str) -> NoReturn:
    typer.echo(f"prepctl: {message}", err=True)
    raise typer.Exit(2)


def _parse_day(text: str | None, option: str):
    """A YYYY-MM-DD option value as a date (None when not given); exit 2 when malformed."""
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail_input(f"{option} {text!r} is not a date (use YYYY-MM-DD, e.g. 2026-12-01)")


def _load():
    from prepctl.gates.registry import KINDS
    from prepctl.plan.load import load_plan

    return load_plan(G.config, G.root, kinds=KINDS)


from prepctl.commands.init import init as _init_command  # noqa: E402 - first in --help: where users start

app.command(name="init")(_init_command)


@app.command()
def validate() -> None:
    """Check phases.yaml: keys, ids, dependencies and gate options. Exit 2 if invalid."""
    plan = _load()
    n = sum(len(p.criteria) for p in plan.phases)
    typer.echo(f"{plan.path}: ok ({len(plan.phases)} phases, {n} criteria, root {plan.root})")


@app.command()
def schema() -> None:
    """Print the JSON Schema of phases.yaml (for yaml-language-server and editors)."""
    import json

    from prepctl.gates.registry import KINDS
    from prepctl.plan.schema import json_schema

    typer.echo(json.dumps(json_schema(KINDS), indent=2, sort_keys=True))


@app.command()
def status(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    on: Annotated[str | None, typer.Option("--on", help="Judge the schedule as of this day "
                  "(YYYY-MM-DD; default today). Criteria are still evaluated now.")] = None,
) -> None:
    """Every phase with its weeks, dependencies and state, evaluated now; with a start_date in
    phases.yaml also its schedule: done, overdue, late start, in progress or upcoming.

    States: passed; ready (dependencies passed, only sign-offs missing); failing (dependencies
    passed, criteria fail or error); blocked by X (dependency X has not passed).
    """
    from prepctl.formats import render_status
    from prepctl.status import plan_status

    rows = plan_status(_load(), today=_parse_day(on, "--on"))
    typer.echo(render_status(rows, fmt), nl=False)


@app.command()
def gate(
    phase: Annotated[str | None, typer.Argument(help="Phase id, e.g. phase-1.")] = None,
    all_phases: Annotated[bool, typer.Option("--all", help="Evaluate every phase.")] = False,
    with_deps: Annotated[bool, typer.Option("--with-deps", help="Evaluate its predecessors first.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warn as fail.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the output to FILE.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Evaluate code-based criteria at this git "
                  "revision without touching the work tree; live criteria are skipped.")] = None,
) -> None:
    """Evaluate a phase's exit criteria and exit 0 pass, 1 fail, 2 error."""
    from prepctl.evaluate import evaluate, select_phases
    from prepctl.formats import render_gate_report
    from prepctl.verdicts import exit_code

    plan = _load()
    if out is not None and str(out) == "-":
        out = None  # the report goes to standard output anyway, as `--out -` means elsewhere
    if out is not None:  # a target prepctl will not write is refused before any gate runs
        from prepctl.fileio import output_target

        output_target(out)
    report = evaluate(plan, select_phases(plan, phase, all_phases, with_deps), strict=strict, at=at)
    from prepctl.history import record_or_warn  # a failure is reported, never changes the exit code

    record_or_warn(plan, report)
    text = render_gate_report(report, fmt.value)
    if out is not None:
        from prepctl.fileio import atomic_write_text

        atomic_write_text(out, text)
    typer.echo(text, nl=False)
    raise typer.Exit(exit_code(report.status))


from prepctl.commands.baseline import app as _baseline_app  # noqa: E402 - sub-apps register after commands

app.add_typer(_baseline_app, name="baseline")

from prepctl.commands.shadow import shadow as _shadow_command  # noqa: E402 - see above

app.command(name="shadow")(_shadow_command)

from prepctl.commands import history as _history  # noqa: E402 - documents (issue 5)
from prepctl.commands import render as _render  # noqa: E402
from prepctl.commands import report as _report  # noqa: E402
from prepctl.commands import signoff as _signoff  # noqa: E402
from prepctl.commands import templates as _templates  # noqa: E402

app.add_typer(_render.app, name="render")

from prepctl.commands import graph as _graph  # noqa: E402 - import graph (issue 4)

app.add_typer(_graph.app, name="graph")
app.add_typer(_templates.app, name="templates")
app.command(name="history")(_history.history)
app.command(name="signoff")(_signoff.signoff)
app.command(name="report")(_report.report)


def main() -> None:
    from prepctl.errors import PrepctlError
    from prepctl.inert import inert  # errors quote input (names, YAML values): no escapes to the terminal

    try:
        app()
    except PrepctlError as exc:
        for problem in exc.problems:
            typer.echo(f"prepctl: {inert(str(problem))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("prepctl: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        import os

        if os.environ.get("PREPCTL_DEBUG"):
            raise
        from prepctl.secrets import redact

        typer.echo(f"prepctl: internal error: {type(exc).__name__}: {inert(redact(str(exc)))} "
                   "(set PREPCTL_DEBUG=1 for the traceback, and please report it)", err=True)
        sys.exit(2)
