"""`prepctl validate`: check phases.yaml and say what it holds."""

from __future__ import annotations

import typer

from prepctl.commands._session import session_of


def validate(ctx: typer.Context) -> None:
    """Check phases.yaml: keys, ids, dependencies and gate options. Exit 2 if invalid."""
    from prepctl.formats import FORMATS
    from prepctl.gates.registry import GATES
    from prepctl.graph.contracts import CONTRACTS

    plan = session_of(ctx).load_plan()
    n = sum(len(p.criteria) for p in plan.phases)
    typer.echo(f"{plan.path}: ok ({len(plan.phases)} phases, {n} criteria, root {plan.root})")
    # A plugin that reuses a built-in name is never used; its author and the plan's readers
    # should know, but the plan itself is valid.
    for registry in (GATES, FORMATS, CONTRACTS):
        for name in registry.clashes():
            typer.echo(f"prepctl: warning: the plugin {registry.what} '{name}' ({registry.group} "
                       f"entry point) is ignored: a built-in {registry.what} has that name", err=True)
