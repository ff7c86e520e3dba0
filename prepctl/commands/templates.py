"""`prepctl templates list|show|eject`: see and override the document templates."""

from __future__ import annotations

from typing import Annotated

import typer

from prepctl.commands._completion import complete_templates
from prepctl.commands._session import session_of

app = typer.Typer(
    help="Document templates. A file with the same name in a templates/ folder next to "
    "phases.yaml overrides the shipped one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every template, and whether the project overrides it."""
    from prepctl.documents.engine import list_templates

    for info in list_templates(session_of(ctx).load_plan(needs_phases=False).config_dir):
        where = "project override" if info.overrides_shipped else info.origin
        typer.echo(f"{info.name:<22} {where:<17} {info.path}")


@app.command()
def show(ctx: typer.Context,
         name: Annotated[str, typer.Argument(help="Template name, e.g. rfc.md.j2 (or rfc.md).",
                                             autocompletion=complete_templates)]) -> None:
    """Print the template a render would use."""
    from prepctl.documents.engine import resolve_name

    info = resolve_name(session_of(ctx).load_plan(needs_phases=False).config_dir, name)
    typer.echo(info.path.read_text(encoding="utf-8"), nl=False)


@app.command()
def eject(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Template name, e.g. rfc.md.j2.",
                                                                  autocompletion=complete_templates)]) -> None:
    """Copy a shipped template into templates/ next to phases.yaml, to edit it there."""
    from prepctl.documents.engine import eject as eject_template

    target = eject_template(session_of(ctx).load_plan(needs_phases=False).config_dir, name)
    typer.echo(f"wrote {target}; edit it, `prepctl render ...` now uses it")
