"""`prepctl schema`: the JSON Schema of phases.yaml, for editors."""

from __future__ import annotations

import typer


def schema() -> None:
    """Print the JSON Schema of phases.yaml (for yaml-language-server and editors)."""
    import json

    from prepctl.gates.registry import KINDS
    from prepctl.plan.schema import json_schema

    typer.echo(json.dumps(json_schema(KINDS), indent=2, sort_keys=True))
