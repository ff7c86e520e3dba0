"""`prepctl history`: list recorded gate runs; export and import them as JSON Lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._completion import complete_history
from prepctl.commands._session import session_of


def history(
    ctx: typer.Context,
    args: Annotated[list[str] | None, typer.Argument(
        autocompletion=complete_history,
        metavar="[PHASE] | export | import FILE",
        help="PHASE lists that phase's runs; `export` writes every run as JSON Lines; `import FILE` "
        "adds the runs of an export (runs already present are skipped).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Listing: table or json. "
                   "Export: jsonl.")] = "",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="export: write to FILE instead of stdout.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Listing: the last N runs.")] = 30,
) -> None:
    """Every `prepctl gate` run is recorded in .prepctl/history.sqlite3 next to phases.yaml (time,
    git revision, config hash, each verdict with its evidence). List, export or import them."""
    from prepctl.history.listing import HistoryRequest, run_history

    result = run_history(session_of(ctx).load_plan(),
                         HistoryRequest(tuple(args or ()), fmt=fmt, out=out, limit=limit))
    typer.echo(result.stdout, nl=False)
    typer.echo(result.stderr, nl=False, err=True)
