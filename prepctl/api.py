"""prepctl's public library API: load a plan, evaluate its gates, scan an import graph.

Everything here takes keyword arguments and returns the same objects the CLI renders, so a
script can do what ``prepctl gate`` or ``prepctl graph`` do and read the results as data::

    from prepctl import api

    plan = api.load_plan(path="examples/prep-plan/phases.yaml")
    report = api.evaluate(plan, phase="phase-0")
    print(report.status.value, [c.id for c in report.phases[0].criteria])

    graph = api.scan_graph(root="examples/prep-monolith", packages=["prep"])
    print(len(graph), "modules")

Invalid input raises :class:`prepctl.errors.PrepctlError` (its ``problems`` say where and why);
a gate that cannot decide yields an ``error`` verdict, never an exception. Unlike ``prepctl gate``,
:func:`evaluate` records nothing in the gate history: a library call has no side effects.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from prepctl.errors import ConfigError, PrepctlError, Problem
from prepctl.evaluate import evaluate as evaluate_phases
from prepctl.gates.registry import KINDS
from prepctl.graph.load import GraphSettings, build_graph, default_include
from prepctl.graph.model import ImportGraph
from prepctl.graph.scan.config import ScanConfig
from prepctl.plan import load as plan_load
from prepctl.plan.model import LoadedPlan
from prepctl.verdicts import GateReport

__all__ = ["GateReport", "ImportGraph", "LoadedPlan", "PrepctlError", "evaluate", "load_plan", "scan_graph"]


def load_plan(*, path: str | Path | None = None, root: str | Path | None = None) -> LoadedPlan:
    """Load and validate a phases.yaml (or a pyproject.toml's ``[tool.prepctl]``).

    ``path``: the file (default: the nearest ``phases.yaml``, or ``pyproject.toml`` with a
    ``[tool.prepctl]`` table, in the current folder or above; ``PREPCTL_CONFIG`` is not read here,
    only by the command line). A plan may have no phases (a graph-only config): evaluating it
    gives ``error``, never ``pass``.
    ``root``: the checkout of the monolith to check, instead of the plan's ``root:``.
    Criteria are validated against the installed gate kinds (built-in and plugins). Raises
    ``ConfigError`` (a ``PrepctlError``) listing every problem with its ``file:line:col``.
    """
    return plan_load.load_plan(path, root, kinds=KINDS)


def evaluate(plan: LoadedPlan, *, phase: str | Collection[str] | None = None,
             criteria: Collection[str] | None = None, at: str | None = None,
             strict: bool = False) -> GateReport:
    """Evaluate exit criteria and return one :class:`GateReport` with a result per phase.

    ``phase``: a phase id, several (evaluated in the order given), or None for every phase in
    dependency order. ``criteria``: only these criterion ids (every named phase must have each).
    ``at``: a git revision; code-based criteria read it without touching the work tree, live
    criteria are skipped. ``strict``: a warning fails its phase.
    """
    if phase is None:
        phase_ids = plan.order()
    elif isinstance(phase, str):
        phase_ids = [phase]
    else:
        phase_ids = list(phase)
    for phase_id in phase_ids:
        plan.phase(phase_id)  # an unknown phase: a clear error with a suggestion, before any gate runs
    return evaluate_phases(plan, phase_ids, strict=strict, at=at, criteria=criteria)


def scan_graph(*, root: str | Path, packages: Collection[str] = ()) -> ImportGraph:
    """Scan the Python files under ``root`` (``src/`` first in a src layout) into an import graph.

    ``packages``: only these top-level packages or modules (empty: everything). The files are
    parsed, never imported or run. Nothing is written (no parse cache under ``root``).
    """
    folder = Path(root).resolve()
    if not folder.is_dir():
        raise ConfigError(Problem(file=str(root), message=f"{folder} is not a folder",
                                  hint="point root at a checkout"))
    scan = ScanConfig(include=default_include(folder), packages=tuple(packages))
    return build_graph(GraphSettings(root=folder, scan=scan))
