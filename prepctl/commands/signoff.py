"""`prepctl signoff PHASE --as ROLE --name NAME`: record an approval in the sign-off file."""

from __future__ import annotations

from typing import Annotated

import typer

from prepctl.commands._completion import complete_criteria, complete_phases
from prepctl.commands._session import session_of


def signoff(
    ctx: typer.Context,
    phase: Annotated[str, typer.Argument(help="Phase id, e.g. phase-1.", autocompletion=complete_phases)],
    role: Annotated[str, typer.Option("--as", help="The approver role signing, e.g. dba.")],
    name: Annotated[str, typer.Option("--name", help="Who signs.")],
    email: Annotated[str | None, typer.Option("--email", help="Their email (optional).")] = None,
    criterion: Annotated[str | None, typer.Option("--criterion", autocompletion=complete_criteria,
                                                  help="Sign off a `manual` criterion "
                                                  "instead of the phase's RFC.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Date of the sign-off (default today, "
                  "YYYY-MM-DD).")] = None,
) -> None:
    """Approve the phase's RFC (or, with --criterion, a manual criterion). An RFC approval
    records the digest of the RFC's current content: if the content changes later, the
    approval shows as stale. Commit signoffs.yaml afterwards."""
    from prepctl.signoff.recording import record_signoff

    result = record_signoff(session_of(ctx).load_plan(), phase, role, name, email=email, criterion=criterion, on=on)
    typer.echo(f"recorded: {result.describe()} in {result.path}")
