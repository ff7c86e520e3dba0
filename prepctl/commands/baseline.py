"""`prepctl baseline ...`: capture the SLO values later phases compare with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._completion import complete_phases
from prepctl.commands._session import session_of

app = typer.Typer(
    help="Capture SLO baselines (Phase 0's freeze thresholds) for relative objectives such as "
    "'<=+10%'. Baselines are written to baselines/NAME.json next to phases.yaml, to be committed.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command()
def capture(
    ctx: typer.Context,
    phase: Annotated[str, typer.Argument(autocompletion=complete_phases,
                                         help="Phase whose slo objectives to measure, e.g. phase-0.")],
    name: Annotated[str | None, typer.Option("--name", help="Baseline name (default: the phase id).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing baseline.")] = False,
) -> None:
    """Measure every slo objective of PHASE now and write baselines/NAME.json. Exit 2 if any
    objective has no clean number (nothing is written then)."""
    from prepctl.slo.baselines import CaptureRequest
    from prepctl.slo.baselines import capture as capture_baseline

    result = capture_baseline(CaptureRequest(session_of(ctx).load_plan(), phase, name=name, force=force))
    found = result.baseline
    verb = "replaced" if result.replaced else "wrote"
    shown = _relative(result.path)
    typer.echo(f"{verb} {shown} (baseline '{found.name}' of {found.phase}, from {found.source} "
               f"at {found.captured_at})")
    for objective, captured in sorted(found.objectives.items()):
        values = ", ".join(f"{s.value:.6g}" for s in captured.series)
        typer.echo(f"  {objective} = {values}  ({captured.how}; hash {captured.objective_hash})")


def _relative(path: Path) -> Path:
    """The path as the user would type it from here, when it is below the current folder."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
