"""`prepctl init PLAN.md`: a phases.yaml drafted from the team's Markdown plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._session import session_of


def init(
    ctx: typer.Context,
    plan: Annotated[Path | None, typer.Argument(help="The plan in Markdown: '## Phase N – Title (Weeks A-B)' "
                                                "headings with bullet points under them. With "
                                                "--from-importlinter: the import-linter configuration "
                                                "(default: the one in --root).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The phases.yaml to create (never "
                                      "overwritten).")] = Path("phases.yaml"),
    explain: Annotated[bool, typer.Option("--explain", help="Also print, for every bullet, the kind "
                                          "chosen, the grounding found and why (or why it stayed manual).")] = False,
    from_importlinter: Annotated[bool, typer.Option("--from-importlinter", help="Write the contracts of an "
                                 "import-linter configuration (.importlinter, setup.cfg, pyproject.toml) "
                                 "as `imports` criteria instead.")] = False,
) -> None:
    """Write a phases.yaml from PLAN.md: each phase heading a phase, each bullet a task. Bullets a
    recogniser is sure about become evidence gates grounded in the monolith (--root, default:
    OUT's folder); the others stay `manual` criteria that need a sign-off. With --from-importlinter:
    one `imports` criterion per contract an import-linter contract translates to."""
    from prepctl.scaffold.draft import explain as explain_text
    from prepctl.scaffold.draft import init_from_importlinter, init_plan

    given = session_of(ctx).root
    root = given if given is not None else (out.parent if str(out.parent) else Path("."))
    if from_importlinter:
        path, made = init_from_importlinter(plan, out, root)
        typer.echo(f"wrote {path}: {len(made)} import-linter contract(s) as "
                   f"{sum(len(ids) for ids in made.values())} `imports` criteria.")
        typer.echo(f"next: prepctl -c {path} validate; prepctl -c {path} gate --all")
        return
    if plan is None:
        session_of(ctx).fail_input("init needs PLAN.md (or --from-importlinter)")
    result = init_plan(plan, out, root)
    if explain:
        typer.echo(explain_text({d.bullet.line: d for d in result.decisions}, result.plan_file), nl=False)
    typer.echo(f"wrote {result.path}: {result.phases} phases, {result.criteria} criteria; "
               f"{result.gated} of {len(result.decisions)} bullets became evidence gates, the rest are "
               "`manual` (each needs a sign-off until a gate checks it).")
    if result.python_files == 0:
        typer.echo(f"prepctl: warning: no Python files under {root}: `imports` criteria and graph "
                   "commands will report errors until root: points at the monolith", err=True)
    typer.echo(f"next: prepctl -c {result.path} validate; prepctl -c {result.path} gate --all "
               "(docs/gates/index.md: what each criterion checks).")
