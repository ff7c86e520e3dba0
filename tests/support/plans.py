"""Plans for a test: a one-phase phases.yaml around the criteria the test gives, and loading a
plan the way the commands do (with the installed gate kinds)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from prepctl.gates.registry import KINDS
from prepctl.plan import load as plan_load
from prepctl.plan.model import LoadedPlan


def write_plan(folder: Path, criteria_yaml: str, root: str = ".", extra: str = "") -> Path:
    """A one-phase plan whose criteria are given as YAML (indented as a list under criteria:)."""
    body = textwrap.dedent(criteria_yaml).strip("\n")
    body = textwrap.indent(body, "      ")
    text = textwrap.dedent(f"""\
        version: 1
        name: test plan
        root: {root}
        {extra}
        phases:
          - id: p
            title: Test phase
            weeks: 0-1
            owners: [tester]
            criteria:
        """) + body + "\n"
    path = folder / "phases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_plan(config: str | Path | None = None, root_override: str | Path | None = None) -> LoadedPlan:
    """``prepctl.plan.load.load_plan`` given the gate registry, as every command does."""
    return plan_load.load_plan(config, root_override, kinds=KINDS)
