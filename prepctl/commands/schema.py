"""`prepctl schema`: the JSON Schema of phases.yaml, for editors."""

from __future__ import annotations

from typing import Annotated

import typer


def schema(
    pyproject: Annotated[bool, typer.Option("--pyproject", help="The schema of pyproject.toml's "
                         "[tool.prepctl] table instead (a config pointer, or the plan inline).")] = False,
) -> None:
    """Print the JSON Schema of phases.yaml (for yaml-language-server and editors)."""
    import json

    from prepctl.gates.registry import KINDS
    from prepctl.plan.schema import json_schema, pyproject_schema

    found = pyproject_schema(KINDS) if pyproject else json_schema(KINDS)
    typer.echo(json.dumps(found, indent=2, sort_keys=True))
