"""The command line: assembles the typer app from ``prepctl.commands`` and maps errors to exit codes.

Each command lives in its own module under ``prepctl/commands/`` and imports its heavy modules
inside the command, so `prepctl --help` stays fast.

Exit codes: 0 pass, 1 fail, 2 error or invalid input.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from prepctl import workdir
from prepctl.commands import (
    baseline,
    gate,
    graph,
    history,
    init,
    render,
    report,
    schema,
    shadow,
    signoff,
    status,
    templates,
    validate,
)
from prepctl.commands._session import Session
from prepctl.commands._vocabulary import normalize_token

EXIT_HELP = "Exit codes: 0 pass (warn passes unless --strict), 1 fail, 2 error or invalid input."

app = typer.Typer(
    name="prepctl",
    help="Make a phased monolith-extraction plan executable: gate phases on their exit criteria, "
    "report import graphs, render documents.\n\n" + EXIT_HELP,
    no_args_is_help=True,
    # --install-completion / --show-completion; values (phases, criteria, modules) complete
    # through prepctl/commands/_completion.py.
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"token_normalize_func": normalize_token},
)


def ansi_forced() -> bool | None:
    """Whether the environment forces ANSI styling on or off, read as rich reads it (rich renders
    the tables): ``TTY_COMPATIBLE=1``/``0`` first, then ``FORCE_COLOR`` (non-empty: on, even on a
    pipe such as a CI log; empty: off); None when neither is set.

    click's echo strips ANSI codes from anything not written to a terminal; without this, a table
    rich coloured for FORCE_COLOR lost its colour on the way out."""
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    return None if force_color is None else force_color != ""


def _version(value: bool) -> None:
    if value:
        from prepctl import __version__

        typer.echo(f"prepctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="phases.yaml to use "
                      "(default: ./phases.yaml or the nearest one above).")] = None,
    root: Annotated[Path | None, typer.Option("--root", help="Check this checkout of the monolith "
                    "instead of phases.yaml's root:.")] = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", file_okay=False, help="Keep the "
                         "cache (import scans, ...) in DIR instead of .prepctl/cache; also "
                         f"${workdir.CACHE_DIR_ENV}.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Use and write no cache "
                        "(slower, same results).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                       help="Print the version and exit.")] = False,
) -> None:
    if config is not None and str(config) == "-":
        # A plan's relative paths (root:, reports, baselines) are relative to its folder; standard
        # input has none, so reading it would resolve them against wherever the shell happens to be.
        Session.fail_input("-c -: a plan is not read from standard input; save it to a file and pass its path")
    session = Session(config=config, root=root, cache_dir=cache_dir, no_cache=no_cache)
    # Process-wide (see prepctl/workdir.py), undone when the command ends so that an in-process
    # caller (tests, CliRunner) does not inherit one invocation's --no-cache.
    previous = session.apply_cache_settings()
    ctx.call_on_close(lambda: workdir.reset(previous))
    ctx.obj = session
    # Sub-commands inherit it; None lets click decide (keep ANSI only on a terminal).
    ctx.color = ansi_forced()


# Registration order is the order of `prepctl --help`: init first, where users start.
app.command(name="init")(init.init)
app.command(name="validate")(validate.validate)
app.command(name="schema")(schema.schema)
app.command(name="status")(status.status)
app.command(name="gate")(gate.gate)
app.add_typer(baseline.app, name="baseline")
app.command(name="shadow")(shadow.shadow)
app.add_typer(render.app, name="render")
app.add_typer(graph.app, name="graph")
app.add_typer(templates.app, name="templates")
app.command(name="history")(history.history)
app.command(name="signoff")(signoff.signoff)
app.command(name="report")(report.report)


def main() -> None:
    from prepctl.errors import PrepctlError
    from prepctl.inert import inert  # errors quote input (names, YAML values): no escapes to the terminal

    try:
        # A fixed program name: `python -m prepctl` and the `prepctl` script answer the same
        # completion variable, _PREPCTL_COMPLETE.
        app(prog_name="prepctl")
    except PrepctlError as exc:
        for problem in exc.problems:
            typer.echo(f"prepctl: {inert(str(problem))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("prepctl: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("PREPCTL_DEBUG"):
            raise
        from prepctl.secrets import redact

        typer.echo(f"prepctl: internal error: {type(exc).__name__}: {inert(redact(str(exc)))} "
                   "(set PREPCTL_DEBUG=1 for the traceback, and please report it)", err=True)
        sys.exit(2)
