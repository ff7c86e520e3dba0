"""The phases.yaml model: loading with line numbers, validation, and the phase DAG.

Loading is two-pass. The first pass validates the plan's own structure; the second validates
each criterion against the options model its gate kind declares (see ``prepctl.gates``). Every
error is mapped back to ``file:line:column`` with the offending key and, for typos, the closest
valid key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from prepctl.errors import ConfigError, Problem
from prepctl.plan.errormap import closest, validation_problems
from prepctl.plan.secretcheck import prime_tokens, url_credential_problems
from prepctl.plan.yamlload import read_yaml_with_positions
from prepctl.sources.config import SourcesConfig

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_CONFIG = "phases.yaml"
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


class _AnyCriterion(CriterionSpec):
    """First-pass shape: kind-specific keys are checked in the second pass."""

    model_config = ConfigDict(extra="allow")


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
    criteria: list[_AnyCriterion] = Field(min_length=1)


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

    @model_validator(mode="after")
    def _valid_patterns(self) -> GraphConfig:
        from prepctl.graph.patterns import validate

        for pattern in [p for ps in self.groups.values() for p in ps] + self.entry_points:
            problem = validate(pattern)
            if problem:
                raise ValueError(f"module pattern {problem}")
        for root in self.include:
            if root.startswith("/") or ".." in root.replace("\\", "/").split("/"):
                raise ValueError(f"include root {root!r} must be a folder below root:")
        return self


class Plan(StrictModel):
    version: Literal[1] = 1
    name: str
    start_date: date | None = Field(None, description="Calendar date of week 0, for documents.")
    root: str = Field(".", description="The monolith's checkout, relative to this file.")
    signoffs: str = Field("signoffs.yaml", description="Sign-off file, relative to this file.")
    sources: SourcesConfig = Field(default_factory=SourcesConfig,
                                   description="Live evidence: Prometheus, Alertmanager, GitHub, Jira.")
    phases: list[Phase] = Field(min_length=1)
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

    def dag(self) -> nx.DiGraph:
        return phase_dag(self.model.phases)

    def order(self) -> list[str]:
        """Phase ids in dependency order, ties broken by their order in the file."""
        import networkx as nx

        index = {p.id: i for i, p in enumerate(self.model.phases)}
        return list(nx.lexicographical_topological_sort(self.dag(), key=lambda n: index[n]))

    def predecessors(self, phase_id: str) -> list[str]:
        import networkx as nx

        ancestors = nx.ancestors(self.dag(), phase_id)
        return [p for p in self.order() if p in ancestors]


def phase_dag(phases: list[Phase]) -> nx.DiGraph:
    import networkx as nx

    graph = nx.DiGraph()
    for phase in phases:
        graph.add_node(phase.id)
        for dep in phase.depends_on:
            graph.add_edge(dep, phase.id)
    return graph


# ---------------------------------------------------------------- loading


def find_config(explicit: str | Path | None) -> Path:
    if explicit is not None:
        return Path(explicit)
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_CONFIG
        if candidate.is_file():
            return candidate
    raise ConfigError(
        Problem(file=DEFAULT_CONFIG, message="no phases.yaml here or in any parent folder",
                hint="pass -c FILE, or run prepctl in the folder that holds phases.yaml")
    )


def load_plan(config: str | Path | None = None, root_override: str | Path | None = None) -> LoadedPlan:
    """Load and fully validate phases.yaml. Raises ConfigError listing every problem found.

    Every token the plan names is known to ``redact`` when this returns (or raises): before any
    gate runs, and before any validation message could quote one.
    """
    path = find_config(config)
    raw, positions = read_yaml_with_positions(
        path, missing_hint="pass -c FILE with the path of your phases.yaml")
    file = str(path)
    if not isinstance(raw, dict):
        raise ConfigError(Problem(file=file, line=1, column=1, message="phases.yaml must be a mapping",
                                  hint="start with 'version: 1', 'name:' and 'phases:'"))
    problems = prime_tokens(raw, positions, file) + url_credential_problems(raw, positions, file)
    if problems:
        raise ConfigError(_sorted(problems))
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, file, positions, Plan, ()))
        raise ConfigError(_sorted(problems)) from None

    problems.extend(_validate_criteria(plan, file, positions))
    problems.extend(_validate_graph(plan, file, positions))
    problems.extend(_validate_services(plan, file, positions))
    # Defaults name variables too (sources.github reads GITHUB_TOKEN unless told otherwise), and
    # ${VAR} in a URL may bring credentials in from the environment.
    validated = plan.model_dump(mode="python")
    problems.extend(prime_tokens(validated, positions, file))
    problems.extend(url_credential_problems(validated, positions, file))
    if problems:
        raise ConfigError(_sorted(problems))

    root = Path(root_override) if root_override is not None else path.parent / plan.root
    if not root.is_dir():
        where = "--root" if root_override is not None else "root:"
        line, column = positions.get(("root",), (None, None)) if root_override is None else (None, None)
        raise ConfigError(Problem(
            file="--root" if root_override is not None else file, line=line, column=column,
            message=f"{where} {root} is not a folder",
            hint="point it at the checkout of the monolith to check",
        ))
    return LoadedPlan(path=path, model=plan, root=root.resolve(), positions=positions)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _validate_criteria(plan: Plan, file: str, positions: dict) -> list[Problem]:
    from prepctl.gates import registry

    problems: list[Problem] = []
    for p_index, phase in enumerate(plan.phases):
        typed: list[CriterionSpec] = []
        seen: dict[str, int] = {}
        for c_index, crit in enumerate(phase.criteria):
            base = ("phases", p_index, "criteria", c_index)
            if crit.id in seen:
                line, col = positions.get((*base, "id"), (None, None))
                problems.append(Problem(file=file, line=line, column=col,
                                        message=f"duplicate criterion id '{crit.id}' in phase '{phase.id}'",
                                        hint="criterion ids must be unique within a phase"))
            seen[crit.id] = c_index
            try:
                model = registry.options_model(crit.kind)
            except Exception as exc:  # a broken plugin is reported, not a traceback
                line, col = positions.get((*base, "kind"), (None, None))
                problems.append(Problem(file=file, line=line, column=col,
                                        message=f"gate kind '{crit.kind}' failed to load: {exc}"))
                continue
            if model is None:
                line, col = positions.get((*base, "kind"), (None, None))
                guess = closest(crit.kind, registry.all_kinds())
                problems.append(Problem(
                    file=file, line=line, column=col, message=f"unknown gate kind '{crit.kind}'",
                    hint=f"did you mean '{guess}'?" if guess else
                    "known kinds: " + ", ".join(registry.all_kinds()),
                ))
                continue
            try:
                typed.append(model.model_validate(crit.model_dump(exclude_unset=True)))
            except ValidationError as exc:
                problems.extend(validation_problems(exc, file, positions, model, base))
            except Exception as exc:  # a validator that raised TypeError etc.: still the user's input
                line, col = positions.get(base, (None, None))
                problems.append(Problem(
                    file=file, line=line, column=col,
                    message=f"{crit.kind} criterion '{crit.id}' has a value of the wrong type "
                    f"({type(exc).__name__}: {exc})",
                    hint="check its options against `prepctl schema`: text is expected where a number "
                    "or list was given, or the other way round"))
        if len(typed) == len(phase.criteria):
            phase.criteria = typed  # type: ignore[assignment]
    return problems


def _validate_graph(plan: Plan, file: str, positions: dict) -> list[Problem]:
    problems: list[Problem] = []
    ids = [p.id for p in plan.phases]
    seen: set[str] = set()
    for p_index, phase in enumerate(plan.phases):
        if phase.id in seen:
            line, col = positions.get(("phases", p_index, "id"), (None, None))
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"duplicate phase id '{phase.id}'",
                                    hint="phase ids must be unique"))
        seen.add(phase.id)
        for d_index, dep in enumerate(phase.depends_on):
            if dep not in ids:
                line, col = positions.get(("phases", p_index, "depends_on", d_index), (None, None))
                guess = closest(dep, ids)
                problems.append(Problem(
                    file=file, line=line, column=col,
                    message=f"phase '{phase.id}' depends on unknown phase '{dep}'",
                    hint=f"did you mean '{guess}'?" if guess else "known phases: " + ", ".join(ids),
                ))
    if problems:
        return problems
    import networkx as nx

    try:
        cycle = nx.find_cycle(phase_dag(plan.phases))
    except nx.NetworkXNoCycle:
        return []
    chain = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    first = next(i for i, p in enumerate(plan.phases) if p.id == cycle[0][1])
    line, col = positions.get(("phases", first, "depends_on"), (None, None))
    return [Problem(file=file, line=line, column=col, message=f"dependency cycle: {chain}",
                    hint="phases must form a DAG; remove one of these depends_on entries")]


def _validate_services(plan: Plan, file: str, positions: dict) -> list[Problem]:
    """Service references (phase, PHASE/CRITERION SLOs) must name things the plan has."""
    criteria = {f"{p.id}/{c.id}" for p in plan.phases for c in p.criteria}
    phases = [p.id for p in plan.phases]
    problems: list[Problem] = []
    for s_index, service in enumerate(plan.services):
        if service.phase is not None and service.phase not in phases:
            line, col = positions.get(("services", s_index, "phase"), (None, None))
            guess = closest(service.phase, phases)
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"service '{service.id}' names unknown phase '{service.phase}'",
                                    hint=f"did you mean '{guess}'?" if guess else "known: " + ", ".join(phases)))
        for r_index, ref in enumerate(service.slos):
            if ref not in criteria:
                line, col = positions.get(("services", s_index, "slos", r_index), (None, None))
                guess = closest(ref, sorted(criteria))
                problems.append(Problem(file=file, line=line, column=col,
                                        message=f"service '{service.id}' names unknown criterion '{ref}'",
                                        hint=f"did you mean '{guess}'?" if guess else
                                        "write PHASE/CRITERION, e.g. phase-0/analytics-latency"))
    return problems


# ---------------------------------------------------------------- JSON Schema


def json_schema() -> dict[str, Any]:
    """A JSON Schema for phases.yaml, criteria included, for yaml-language-server."""
    from prepctl.gates import registry

    plan_schema = Plan.model_json_schema()
    defs = plan_schema.setdefault("$defs", {})
    variants = []
    for kind in registry.all_kinds():
        model = registry.options_model(kind)
        assert model is not None
        sub = model.model_json_schema(ref_template="#/$defs/{model}")
        for name, definition in sub.pop("$defs", {}).items():
            defs.setdefault(name, definition)
        sub["properties"]["kind"] = {"const": kind, "title": "Kind"}
        sub["title"] = f"{kind} criterion"
        name = f"Criterion_{kind}"
        defs[name] = sub
        variants.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                         "then": {"$ref": f"#/$defs/{name}"}})
    criterion_def = defs.get("_AnyCriterion", {})
    criterion_def.clear()
    criterion_def.update({
        "title": "Criterion",
        "type": "object",
        "required": ["id", "kind", "title"],
        "properties": {"kind": {"enum": registry.all_kinds()}},
        "allOf": variants,
    })
    plan_schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    plan_schema["title"] = "prepctl phases.yaml"
    return plan_schema
