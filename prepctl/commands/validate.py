"""`prepctl validate`: check phases.yaml and say what it holds."""

from __future__ import annotations

import typer

from prepctl.commands._session import session_of


def validate(ctx: typer.Context) -> None:
    """Check phases.yaml: keys, ids, dependencies and gate options. Exit 2 if invalid."""
    plan = session_of(ctx).load_plan()
    n = sum(len(p.criteria) for p in plan.phases)
    typer.echo(f"{plan.path}: ok ({len(plan.phases)} phases, {n} criteria, root {plan.root})")
