"""`prepctl validate`: check phases.yaml and say what it holds."""

from __future__ import annotations

import typer

from prepctl.commands._session import session_of


def validate(ctx: typer.Context) -> None:
    """Check the plan (phases.yaml or [tool.prepctl]): keys, ids, dependencies, gate and contract
    options. Exit 2 if invalid."""
    from prepctl.formats import FORMATS
    from prepctl.gates.registry import GATES
    from prepctl.graph.contracts import CONTRACTS

    plan = session_of(ctx).load_plan(needs_phases=False)  # a graph-only config is valid
    n = sum(len(p.criteria) for p in plan.phases)
    contracts = len(plan.model.graph.contracts)
    extra = f", {contracts} graph contracts" if contracts else ""
    typer.echo(f"{plan.path}: ok ({len(plan.phases)} phases, {n} criteria{extra}, root {plan.root})")
    if not plan.phases:
        typer.echo(f"prepctl: note: {plan.path.name} declares no phases: the graph commands work; "
                   "gate, status, render and report need phases (see docs/phases-yaml.md)", err=True)
    # A plugin that reuses a built-in name is never used; its author and the plan's readers
    # should know, but the plan itself is valid.
    for registry in (GATES, FORMATS, CONTRACTS):
        for name in registry.clashes():
            typer.echo(f"prepctl: warning: the plugin {registry.what} '{name}' ({registry.group} "
                       f"entry point) is ignored: a built-in {registry.what} has that name", err=True)
