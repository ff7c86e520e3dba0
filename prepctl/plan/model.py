"""The phases.yaml model: phases, criteria, services and the graph section, and the phase order.

A leaf of prepctl: it imports no gate, graph engine or source, so every one of them may import
it. Validating a criterion's kind-specific options needs the gate registry; the loader
(``prepctl.plan.load``) is handed that lookup as a :class:`CriterionKinds`.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from prepctl import patterns
from prepctl.errors import ConfigError, Problem
from prepctl.plan.errormap import closest
from prepctl.plan.sources import SourcesConfig

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CriterionSpec(StrictModel):
    """Fields every criterion has. Each gate kind subclasses this with its own options."""

    id: Slug
    kind: str
    title: str = Field(description="The plan bullet this criterion encodes, in words.")
    description: str | None = None
    advisory: bool = Field(False, description="Shown but never blocks the phase.")

    # What documents and status ask of any criterion, whatever its kind; a kind overrides what applies.
    #: Only a person can make it pass (a recorded sign-off): a phase whose open criteria all need
    #: a person is "ready", since everything a machine can check holds.
    needs_person: ClassVar[bool] = False

    def sign_off_role(self) -> str | None:
        """The role whose sign-off (`prepctl signoff --criterion ID`) makes this criterion pass."""
        return None

    def flags_checked(self) -> dict[str, Any]:
        """Feature flags this criterion checks, each with the value it expects (runbooks list them)."""
        return {}

    def graph_contract(self) -> BaseModel | None:
        """The import-graph contract this criterion carries (`graph check` and the dashboard read it)."""
        return None


class UntypedCriterion(CriterionSpec):
    """First-pass shape: kind-specific keys are checked in the second pass, against the options
    model of the criterion's kind."""

    model_config = ConfigDict(extra="allow")


class CriterionKinds(Protocol):
    """What the loader needs to know about gate kinds, handed to it by the caller.

    The plan does not import the gates (they import the plan); whoever loads a plan passes the
    gate registry's view (``prepctl.gates.registry.KINDS``), or any other catalogue in a test.
    """

    def names(self) -> list[str]:
        """Every kind a criterion may name, sorted."""
        ...

    def options_model(self, kind: str) -> type[CriterionSpec] | None:
        """The options model of ``kind``; None when no kind has that name. A kind that is
        registered but does not import raises."""
        ...

    def contract_options(self) -> Any:
        """The options of every import-graph contract type: one union discriminated by ``type``
        (what an ``imports`` criterion's ``contract:`` and ``graph: contracts:`` validate against)."""
        ...


class Approver(StrictModel):
    role: str
    name: str | None = None


def _week_range_schema(schema: dict[str, Any]) -> None:
    # The model is an object, but users write "3-5" or [3, 5]; the editor schema must accept all three.
    as_object = dict(schema)
    schema.clear()
    schema["anyOf"] = [
        {"type": "string", "pattern": r"^\s*\d+\s*(-|–|\.\.)\s*\d+\s*$", "examples": ["3-5"]},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
        as_object,
    ]
    schema["title"] = "WeekRange"


class WeekRange(StrictModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_week_range_schema)

    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*(?:-|–|\.\.)\s*(\d+)\s*", value)
            if not match:
                raise ValueError("weeks must look like '3-5' (start-end)")
            return {"start": int(match[1]), "end": int(match[2])}
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WeekRange:
        if self.end < self.start:
            raise ValueError(f"weeks end ({self.end}) is before start ({self.start})")
        return self

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class Phase(StrictModel):
    id: Slug
    title: str
    weeks: WeekRange
    owners: list[str] = Field(min_length=1)
    approvers: list[Approver] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)
    deliverables: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    rollback_flags: list[str] = Field(
        default_factory=list, description="Feature flags to flip back if the phase is rolled back."
    )
    criteria: list[UntypedCriterion] = Field(min_length=1)


class Service(StrictModel):
    """An extracted service, for its runbook (`prepctl render runbook`)."""

    id: Slug
    title: str
    phase: str | None = Field(None, description="The phase that extracts it.")
    owners: list[str] = Field(min_length=1)
    escalation: list[str] = Field(default_factory=list, description="Who to call, in order "
                                  "(default: the owners).")
    flag: str | None = Field(None, description="The feature flag that is its kill switch.")
    flag_off: str = Field("false", description="The flag value that turns the service off.")
    slos: list[str] = Field(default_factory=list, description="Criteria holding its SLO objectives, "
                            "as PHASE/CRITERION.")
    alerts: list[str] = Field(default_factory=list, description="Alert names that page for it.")
    dashboards: list[str] = Field(default_factory=list, description="Dashboard names or URLs.")
    symptoms: list[str] = Field(default_factory=list, description="What users see when it is down.")


class GraphContract(StrictModel):
    """A named import-graph contract that belongs to no phase: `graph check` runs it beside the
    phases' `imports` criteria. A config without phases declares its contracts here."""

    id: Slug = Field(description="Names the contract in reports and in the baseline file.")
    title: str | None = Field(None, description="The rule, in words.")
    contract: dict[str, Any] = Field(description=(
        "The rule, by `type`, as in an `imports` criterion's contract (forbidden, layers, "
        "independence, acyclic, ...; `prepctl schema` lists every type and its options)."))
    # The contract validated against its type's options model by the loader (the plan does not
    # import the graph engine; the caller's CriterionKinds supplies the types).
    _options: BaseModel | None = PrivateAttr(None)

    def bind(self, options: BaseModel) -> None:
        """Record the validated options of ``contract`` (the loader's second pass)."""
        self._options = options

    def graph_contract(self) -> BaseModel | None:
        """The validated contract options; None before the loader's second pass."""
        return self._options


class GraphConfig(StrictModel):
    """The `graph:` section: what the import scanner reads and how the import graph is grouped."""

    include: list[str] = Field(default_factory=lambda: ["."], description=(
        "Source roots below root: folders whose contents are top-level modules (what would be "
        "on sys.path), e.g. ['.'] or ['src', '.']; the innermost root that holds a file names it. Not "
        "set: ['src', '.'] when src/ holds a package but is not one (a src layout), else ['.']."))
    exclude: list[str] = Field(default_factory=list, description=(
        "Path globs relative to root that are never scanned, e.g. tests/*, migrations/*. "
        "Nothing is excluded unless listed here."))
    packages: list[str] = Field(default_factory=list, description=(
        "Only these top-level packages or modules (default: every module under the roots)."))
    groups: dict[str, list[str]] = Field(default_factory=dict, description=(
        "Downstream groups for roll-ups and reports: name -> module patterns, e.g. "
        "analytics: [prep.analytics, services.analytics_api]. A pattern names a module and "
        "everything below it; * matches one name segment, ** any number."))
    entry_points: list[str] = Field(default_factory=list, description=(
        "Module patterns that are run, not imported (never reported as orphans), e.g. jobs.*."))
    baseline: str = Field("imports-baseline.json", description=(
        "Ratchet baseline of known contract violations, relative to this file; written by "
        "`prepctl graph check --update-baseline` and meant to be committed."))
    max_file_kb: int = Field(5000, ge=1, description="Larger .py files are reported and skipped.")
    verify_syntax: bool = Field(True, description=(
        "Check every whole file (once per content; cached) so any syntax error is reported and "
        "the file skipped; ruff's parser does it beside the scan, with the newest Python grammar. "
        "false: only import statements are parsed (faster on a cold cache, imports still exact), "
        "but other syntax errors go unreported."))
    contracts: list[GraphContract] = Field(default_factory=list, description=(
        "Named import-graph contracts that belong to no phase, checked by `prepctl graph check` "
        "beside the phases' `imports` criteria (a graph-only config declares its contracts here)."))
    importlinter: str | None = Field(None, description=(
        "An import-linter configuration (.importlinter, setup.cfg or pyproject.toml), relative to "
        "root: each of its contracts joins `prepctl graph check` and `graph diff` (as an "
        "`importlinter` contract), and its root_packages become `packages` when that is not set."))

    @model_validator(mode="after")
    def _valid_patterns(self) -> GraphConfig:
        for pattern in [p for ps in self.groups.values() for p in ps] + self.entry_points:
            problem = patterns.validate(pattern)
            if problem:
                raise ValueError(f"module pattern {problem}")
        if self.importlinter is not None and (self.importlinter.startswith("/") or ".." in
                                              self.importlinter.replace("\\", "/").split("/")):
            raise ValueError(f"importlinter {self.importlinter!r} must be a file below root:")
        for root in self.include:
            if root.startswith("/") or ".." in root.replace("\\", "/").split("/"):
                raise ValueError(f"include root {root!r} must be a folder below root:")
        return self


class Plan(StrictModel):
    version: Literal[1] = 1
    name: str = Field("", description="The plan's name (default: the project's name in a "
                      "pyproject.toml, else the config file's folder name).")
    start_date: date | None = Field(None, description="Calendar date of week 0, for documents.")
    root: str = Field(".", description="The monolith's checkout, relative to this file.")
    signoffs: str = Field("signoffs.yaml", description="Sign-off file, relative to this file.")
    sources: SourcesConfig = Field(default_factory=SourcesConfig,
                                   description="Live evidence: Prometheus, Alertmanager, GitHub, Jira.")
    phases: list[Phase] = Field(default_factory=list, description=(
        "The phases and their exit criteria. None (a graph-only config): the graph commands "
        "work, and the commands about phases (gate, status, render, ...) say there are none."))
    graph: GraphConfig = Field(default_factory=GraphConfig,
                               description="Import-graph scanning, groups and contract baseline.")
    services: list[Service] = Field(default_factory=list, description="Extracted services, for runbooks.")


@dataclass
class LoadedPlan:
    """A validated plan with where it came from, and the positions of its keys."""

    path: Path
    model: Plan
    root: Path
    positions: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict, repr=False)

    @property
    def config_dir(self) -> Path:
        return self.path.parent

    @property
    def phases(self) -> list[Phase]:
        return self.model.phases

    def require_phases(self, command: str) -> None:
        """Refuse, clearly, a command about phases on a config that declares none (a graph-only
        config): an empty gate run would otherwise pass having judged nothing."""
        if self.model.phases:
            return
        line, column = self.positions.get(("phases",), (None, None))
        raise ConfigError(Problem(
            file=str(self.path), line=line, column=column,
            message=f"{self.path.name} declares no phases; {command} needs at least one",
            hint="add a phases: list with their criteria, as docs/phases-yaml.md shows; the graph "
            "commands work without phases"))

    def phase(self, phase_id: str) -> Phase:
        for phase in self.model.phases:
            if phase.id == phase_id:
                return phase
        hint = closest(phase_id, [p.id for p in self.model.phases])
        raise ConfigError(
            Problem(file=str(self.path), message=f"unknown phase '{phase_id}'",
                    hint=f"did you mean '{hint}'?" if hint else
                    "known phases: " + ", ".join(p.id for p in self.model.phases))
        )

    def criterion_position(self, phase_id: str, criterion_id: str) -> tuple[int, int] | None:
        for p_index, phase in enumerate(self.model.phases):
            if phase.id != phase_id:
                continue
            for c_index, crit in enumerate(phase.criteria):
                if crit.id == criterion_id:
                    return self.positions.get(("phases", p_index, "criteria", c_index))
        return None

    def dates_of(self, phase: Phase) -> tuple[date, date] | None:
        """First and last calendar day of the phase: week N starts N weeks after start_date (week
        0), and a phase ends on the last day of its end week. None without a start_date."""
        start = self.model.start_date
        if start is None:
            return None
        return start + timedelta(weeks=phase.weeks.start), start + timedelta(weeks=phase.weeks.end + 1, days=-1)

    def order(self) -> list[str]:
        """Phase ids in dependency order, ties broken by their order in the file (Kahn's
        algorithm over a heap of file positions; plain Python: importing networkx for a handful
        of phases cost every gate, status and report run ~0.13 s of start-up)."""
        phases = self.model.phases
        index = {p.id: i for i, p in enumerate(phases)}
        waiting = {p.id: sum(1 for d in p.depends_on if d in index) for p in phases}
        dependants: dict[str, list[str]] = {p.id: [] for p in phases}
        for phase in phases:
            for dep in phase.depends_on:
                if dep in index:
                    dependants[dep].append(phase.id)
        ready = [index[pid] for pid, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        ordered: list[str] = []
        while ready:
            phase_id = phases[heapq.heappop(ready)].id
            ordered.append(phase_id)
            for dependant in dependants[phase_id]:
                waiting[dependant] -= 1
                if waiting[dependant] == 0:
                    heapq.heappush(ready, index[dependant])
        if len(ordered) != len(phases):  # load_plan refuses cycles; never order a cyclic plan
            raise ValueError("phase dependencies form a cycle")
        return ordered

    def predecessors(self, phase_id: str) -> list[str]:
        """Every phase ``phase_id`` depends on, directly or not, in dependency order."""
        depends = {p.id: p.depends_on for p in self.model.phases}
        ancestors: set[str] = set()
        pending = list(depends.get(phase_id, []))
        while pending:
            dep = pending.pop()
            if dep not in ancestors:
                ancestors.add(dep)
                pending.extend(depends.get(dep, []))
        return [p for p in self.order() if p in ancestors]
