"""Captured SLO baselines: Phase 0's "freeze thresholds", written to be committed.

``prepctl baseline capture phase-0`` measures every ``slo`` objective of the phase and writes
``baselines/<name>.json`` next to phases.yaml: per objective the value(s), the query as sent,
window, aggregate, the time, the source and a hash of what the number depends on. Later phases
compare with it (``pass: "<=+10%"``, ``baseline: phase-0/analytics-latency-p95``).

A baseline is only trusted while the objective it measured is unchanged: when the query, window,
step or aggregate in phases.yaml no longer hash to what was captured, the baseline is stale and
every comparison with it is an ``error`` until it is captured again.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prepctl.errors import GateError, PrepctlError, Problem
from prepctl.fileio import atomic_write_text
from prepctl.plan.model import LoadedPlan
from prepctl.secrets import redact
from prepctl.slo.measure import measure_all
from prepctl.slo.objectives import Objective, SloSpec, objective_hash
from prepctl.slo.samples import iso, num, series_labels
from prepctl.sources.context import GateContext
from prepctl.sources.metrics.configured import prometheus_source
from prepctl.sources.metrics.labels import Labels, labels_of
from prepctl.sources.tree import WorkTree

BASELINE_DIR = "baselines"
FORMAT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapturedSeries(_Model):
    labels: dict[str, str] = Field(default_factory=dict)
    # Capture refuses NaN and ±Inf; a file holding one was edited, and `<=+10%` of Infinity
    # would pass anything.
    value: float = Field(allow_inf_nan=False)


class CapturedObjective(_Model):
    criterion: str
    query: str
    how: str
    window: str | None = None
    step: str | None = None
    aggregate: str | None = None
    evaluated_at: str
    objective_hash: str
    series: list[CapturedSeries] = Field(min_length=1)


class BaselineFile(_Model):
    version: int = FORMAT_VERSION
    name: str
    phase: str
    captured_at: str
    source: str
    objectives: dict[str, CapturedObjective]


@dataclass(frozen=True)
class BaselineEntry:
    """One objective's captured value(s), checked to be fresh."""

    name: str
    objective: str
    captured_at: str
    objective_hash: str
    series: list[tuple[Labels, float]]

    def describe_values(self) -> str:
        return ", ".join(f"{series_labels(labels_of(dict(labels)))}{'=' if labels else ''}{num(value)}"
                         for labels, value in self.series)


def baseline_path(plan: LoadedPlan, name: str) -> Path:
    return plan.config_dir / BASELINE_DIR / f"{name}.json"


class BaselineStore:
    """Reads baselines for a gate run, once each, and refuses stale ones."""

    def __init__(self, plan: LoadedPlan):
        self.plan = plan
        self._files: dict[str, BaselineFile] = {}
        self._lock = threading.Lock()

    def relpath(self, name: str) -> str:
        return f"{BASELINE_DIR}/{name}.json"

    def load(self, name: str) -> BaselineFile:
        with self._lock:
            if name not in self._files:
                self._files[name] = read_baseline(self.plan, name)
            return self._files[name]

    def entry(self, name: str, objective: str) -> BaselineEntry:
        found = self.load(name)
        captured = found.objectives.get(objective)
        if captured is None:
            raise GateError(f"baseline '{name}' ({self.relpath(name)}) has no objective '{objective}' "
                            f"(it has: {', '.join(sorted(found.objectives)) or 'none'})")
        problem = staleness(self.plan, found, objective, captured)
        if problem is not None:
            raise GateError(f"baseline '{name}' is stale: {problem}; capture it again with "
                            f"`prepctl baseline capture {found.phase} --name {name} --force`")
        series = [(labels_of(s.labels), s.value) for s in captured.series]
        return BaselineEntry(name, objective, found.captured_at, captured.objective_hash, series)


def read_baseline(plan: LoadedPlan, name: str) -> BaselineFile:
    path = baseline_path(plan, name)
    rel = f"{BASELINE_DIR}/{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        phase = name if any(p.id == name for p in plan.phases) else "PHASE"
        how = f"prepctl baseline capture {phase}" + ("" if phase == name else f" --name {name}")
        raise GateError(f"no baseline '{name}' ({rel} next to {plan.path.name}): a relative criterion "
                        f"has nothing to compare with; capture one with `{how}`") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GateError(f"baseline {rel} cannot be read: {exc}") from None
    try:
        return BaselineFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise GateError(f"baseline {rel} is malformed at {where}: {first['msg']}") from None


def staleness(plan: LoadedPlan, found: BaselineFile, objective: str,
              captured: CapturedObjective) -> str | None:
    """Why the captured objective no longer matches phases.yaml, or None when it still does."""
    located = find_objective(plan, found.phase, captured.criterion, objective)
    if located is None:
        return (f"objective '{objective}' of criterion '{captured.criterion}' in phase '{found.phase}' "
                "is no longer in phases.yaml")
    spec, current = located
    now = objective_hash(spec, current)
    if now != captured.objective_hash:
        return (f"objective '{objective}' changed since capture on {found.captured_at} "
                f"(hash {captured.objective_hash} then, {now} now)")
    return None


def find_objective(plan: LoadedPlan, phase_id: str, criterion_id: str,
                   name: str) -> tuple[SloSpec, Objective] | None:
    for phase in plan.phases:
        if phase.id != phase_id:
            continue
        for spec in phase.criteria:
            if isinstance(spec, SloSpec) and spec.id == criterion_id:
                for objective in spec.objectives:
                    if objective.name == name:
                        return spec, objective
    return None


# ---------------------------------------------------------------- capture


@dataclass(frozen=True)
class CaptureRequest:
    """What ``prepctl baseline capture`` asks for: a phase of a loaded plan, a name, and whether
    an existing baseline may be replaced."""

    plan: LoadedPlan
    phase: str
    name: str | None = None  # default: the phase id
    force: bool = False


@dataclass(frozen=True)
class CaptureResult:
    path: Path
    baseline: BaselineFile
    replaced: bool


def capture(request: CaptureRequest) -> CaptureResult:
    """Measure every slo objective of the phase and write the baseline file atomically.

    Refuses (PrepctlError, nothing written) when any objective has no clean number: a baseline
    is a promise, and half of one would make later comparisons quietly partial.
    """
    plan, force = request.plan, request.force
    phase = plan.phase(request.phase)
    name = request.name or phase.id
    _check_name(name)
    path = baseline_path(plan, name)
    if path.exists() and not force:
        raise PrepctlError(Problem(file=str(path), message=f"baseline '{name}' exists",
                                   hint="pass --force to replace it (the old one stays in git history)"))
    specs = [c for c in phase.criteria if isinstance(c, SloSpec)]
    if not specs:
        raise PrepctlError(Problem(file=str(plan.path), message=f"phase '{phase.id}' has no slo criterion "
                                   "to capture", hint="add a criterion of kind slo with objectives"))
    seen: dict[str, str] = {}
    for spec in specs:
        for objective in spec.objectives:
            if objective.name in seen:
                raise PrepctlError(Problem(
                    file=str(plan.path), message=f"objective '{objective.name}' appears in criteria "
                    f"'{seen[objective.name]}' and '{spec.id}'",
                    hint="objective names must be unique in a phase: baselines store values by name"))
            seen[objective.name] = spec.id

    ctx = GateContext(plan=plan, tree=WorkTree(plan.root))
    try:
        source = prometheus_source(ctx)
    except GateError as exc:
        raise PrepctlError(str(exc)) from None
    objectives: dict[str, CapturedObjective] = {}
    problems: list[str] = []
    for spec in specs:
        measurements = measure_all(spec, source)
        for objective, measurement in zip(spec.objectives, measurements, strict=True):
            if isinstance(measurement, GateError):
                problems.append(f"{objective.name}: {measurement}")
                continue
            if not measurement.series:
                problems.append(f"{objective.name}: the query returned no series")
                continue
            bad = [s for s in measurement.series if s.value is None]
            if bad:
                problems.append(f"{objective.name}: {bad[0].problem}")
                continue
            objectives[objective.name] = CapturedObjective(
                criterion=spec.id, query=measurement.query, how=measurement.how,
                window=objective.window, step=objective.step, aggregate=objective.aggregate,
                evaluated_at=iso(measurement.evaluated_at), objective_hash=objective_hash(spec, objective),
                series=[CapturedSeries(labels={k: v for k, v in s.labels if k != "__name__"},
                                       value=s.value) for s in measurement.series if s.value is not None])
    if problems:
        raise PrepctlError([Problem(file="baseline", message=f"cannot capture {p}",
                                    hint="nothing was written") for p in problems])
    baseline = BaselineFile(name=name, phase=phase.id, captured_at=_now(), source=source.location,
                            objectives=objectives)
    replaced = path.exists()
    # Series labels come from the server; a baseline is committed, so it gets the output's care.
    atomic_write_text(path, redact(json.dumps(baseline.model_dump(), indent=2, sort_keys=True)) + "\n")
    return CaptureResult(path, baseline, replaced)


def _check_name(name: str) -> None:
    if not re.match(r"^[a-z0-9][a-z0-9_.-]*$", name):
        raise PrepctlError(Problem(file="--name", message=f"baseline name {name!r} is not a slug",
                                   hint="use lower-case letters, digits, '-', '_' or '.'"))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
