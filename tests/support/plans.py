"""Plans loaded for a test the way the CLI loads them: with the installed gate kinds."""

from __future__ import annotations

from pathlib import Path

from prepctl.gates.registry import KINDS
from prepctl.plan import load as plan_load
from prepctl.plan.model import LoadedPlan


def load_plan(config: str | Path | None = None, root_override: str | Path | None = None) -> LoadedPlan:
    """``prepctl.plan.load.load_plan`` given the gate registry, as every command does."""
    return plan_load.load_plan(config, root_override, kinds=KINDS)
