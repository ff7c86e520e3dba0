"""`prepctl templates list|show|eject`: see and override the document templates."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    help="Document templates. A file with the same name in a templates/ folder next to "
    "phases.yaml overrides the shipped one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("list")
def list_() -> None:
    """Every template, and whether the project overrides it."""
    from prepctl.cli import _load
    from prepctl.documents.engine import list_templates

    for info in list_templates(_load().config_dir):
        where = "project override" if info.overrides_shipped else info.origin
        typer.echo(f"{info.name:<22} {where:<17} {info.path}")


@app.command()
def show(name: Annotated[str, typer.Argument(help="Template name, e.g. rfc.md.j2 (or rfc.md).")]) -> None:
    """Print the template a render would use."""
    from prepctl.cli import _load
    from prepctl.documents.engine import resolve_name

    info = resolve_name(_load().config_dir, name)
    typer.echo(info.path.read_text(encoding="utf-8"), nl=False)


@app.command()
def eject(name: Annotated[str, typer.Argument(help="Template name, e.g. rfc.md.j2.")]) -> None:
    """Copy a shipped template into templates/ next to phases.yaml, to edit it there."""
    from prepctl.cli import _load
    from prepctl.documents.engine import eject as eject_template

    target = eject_template(_load().config_dir, name)
    typer.echo(f"wrote {target}; edit it, `prepctl render ...` now uses it")
