"""`prepctl history`: list recorded gate runs; export and import them as JSON Lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._completion import complete_history
from prepctl.commands._session import session_of

USAGE = "prepctl history [PHASE] | history export [--out FILE] | history import FILE"


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
    import json
    import sys

    from prepctl import history as store

    words = list(args or [])
    session = session_of(ctx)
    plan = session.load_plan()
    if words[:1] == ["export"]:
        if len(words) != 1:
            session.fail_input(f"`history export` takes no arguments; usage: {USAGE}")
        if fmt not in ("", "jsonl"):
            session.fail_input(f"history export writes --format jsonl, not '{fmt}'")
        runs = store.read_runs(plan)
        if out is None:
            store.export_jsonl(runs, sys.stdout)
            return
        import io

        from prepctl.fileio import atomic_write_text

        buffer = io.StringIO()
        count = store.export_jsonl(runs, buffer)
        atomic_write_text(out, buffer.getvalue())
        typer.echo(f"exported {count} runs to {out}", err=True)
        return
    if words[:1] == ["import"]:
        if len(words) != 2:
            session.fail_input(f"`history import` needs one FILE; usage: {USAGE}")
        result = store.import_jsonl(plan, Path(words[1]))
        typer.echo(f"imported {result.added} runs ({result.already_present} already present) into "
                   f"{store.history_path(plan)}")
        return
    if len(words) > 1:
        session.fail_input(f"too many arguments; usage: {USAGE}")
    phase = words[0] if words else None
    runs = store.read_runs(plan, phase, limit=limit)
    if phase is not None and not runs:
        plan.phase(phase)  # an unknown phase gets a clear error with a suggestion
    if fmt in ("", "table"):
        typer.echo(store.runs_table(runs, phase), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps([store.run_to_json(r) for r in runs], indent=2, sort_keys=True,
                              ensure_ascii=False))
    else:
        session.fail_input(f"history lists --format table or json, not '{fmt}'")
