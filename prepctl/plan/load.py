"""Loading phases.yaml: positions, secrets, structure, then each criterion against its kind.

Loading is two-pass. The first pass validates the plan's own structure; the second validates
each criterion against the options model its gate kind declares, looked up through the
:class:`~prepctl.plan.model.CriterionKinds` the caller passes. Every error is mapped back to
``file:line:column`` with the offending key and, for typos, the closest valid key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from prepctl.errors import ConfigError, Problem
from prepctl.plan.errormap import closest, validation_problems
from prepctl.plan.graphcontracts import validate_graph_contracts
from prepctl.plan.model import CriterionKinds, CriterionSpec, LoadedPlan, Plan
from prepctl.plan.pyproject import PYPROJECT, has_tool_table, read_config
from prepctl.plan.secretcheck import prime_tokens, url_credential_problems

DEFAULT_CONFIG = "phases.yaml"


def discover(start: Path | None = None) -> Path | None:
    """The config nearest ``start`` (default: the current folder), walking up: at each folder
    phases.yaml first, then a pyproject.toml with a ``[tool.prepctl]`` table (one without it is
    passed over). None when there is none. A pyproject.toml that cannot be read or parsed is an
    error: whether it was meant to configure prepctl cannot be told."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_CONFIG
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and has_tool_table(pyproject):
            return pyproject
    return None


def find_config(explicit: str | Path | None) -> Path:
    """``explicit`` if given, else the discovered config (:func:`discover`)."""
    if explicit is not None:
        return Path(explicit)
    found = discover()
    if found is not None:
        return found
    raise ConfigError(
        Problem(file=DEFAULT_CONFIG, message="no phases.yaml, nor pyproject.toml with a [tool.prepctl] "
                "table, here or in any parent folder",
                hint="pass -c FILE or set PREPCTL_CONFIG, or run prepctl in the folder that holds "
                "phases.yaml")
    )


def load_plan(config: str | Path | None = None, root_override: str | Path | None = None, *,
              kinds: CriterionKinds) -> LoadedPlan:
    """Load and fully validate phases.yaml (or pyproject.toml's ``[tool.prepctl]``). Raises
    ConfigError listing every problem found.

    ``kinds`` gives each criterion's options model by its kind: the caller passes
    ``prepctl.gates.registry.KINDS`` (the plan does not import the gates; they import it).

    Every token the plan names is known to ``redact`` when this returns (or raises): before any
    gate runs, and before any validation message could quote one.
    """
    read = read_config(find_config(config))
    path, raw, positions = read.path, read.data, read.positions
    file = str(path)
    if not isinstance(raw, dict):
        raise ConfigError(Problem(file=file, line=1, column=1, message="phases.yaml must be a mapping",
                                  hint="start with 'version: 1', 'name:' and 'phases:' (or only 'graph:')"))
    problems = prime_tokens(raw, positions, file) + url_credential_problems(raw, positions, file)
    if problems:
        raise ConfigError(_sorted(problems))
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, file, positions, Plan, ()))
        raise ConfigError(_sorted(problems)) from None
    if "name" not in plan.model_fields_set:
        plan.name = read.default_name

    problems.extend(_validate_criteria(plan, file, positions, kinds))
    problems.extend(validate_graph_contracts(plan, file, positions, kinds))
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
        where = "--root (or PREPCTL_ROOT)" if root_override is not None else "root:"
        line, column = positions.get(("root",), (None, None)) if root_override is None else (None, None)
        raise ConfigError(Problem(
            file="--root" if root_override is not None else file, line=line, column=column,
            message=f"{where} {root} is not a folder",
            hint="point it at the checkout of the monolith to check",
        ))
    return LoadedPlan(path=path, model=plan, root=root.resolve(), positions=positions)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _validate_criteria(plan: Plan, file: str, positions: dict, kinds: CriterionKinds) -> list[Problem]:
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
                model = kinds.options_model(crit.kind)
            except Exception as exc:  # a broken plugin is reported, not a traceback
                line, col = positions.get((*base, "kind"), (None, None))
                problems.append(Problem(file=file, line=line, column=col,
                                        message=f"gate kind '{crit.kind}' failed to load: {exc}"))
                continue
            if model is None:
                line, col = positions.get((*base, "kind"), (None, None))
                guess = closest(crit.kind, kinds.names())
                problems.append(Problem(
                    file=file, line=line, column=col, message=f"unknown gate kind '{crit.kind}'",
                    hint=f"did you mean '{guess}'?" if guess else
                    "known kinds: " + ", ".join(kinds.names()),
                ))
                continue
            try:
                typed.append(model.model_validate(crit.model_dump(exclude_unset=True)))
            except ValidationError as exc:
                problems.extend(validation_problems(exc, file, positions, model, base,
                                                    data=crit.model_dump(exclude_unset=True)))
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
    cycle = dependency_cycle(plan.phases)
    if cycle is None:
        return []
    chain = " -> ".join(cycle)
    first = next(i for i, p in enumerate(plan.phases) if p.id == cycle[1])
    line, col = positions.get(("phases", first, "depends_on"), (None, None))
    return [Problem(file=file, line=line, column=col, message=f"dependency cycle: {chain}",
                    hint="phases must form a DAG; remove one of these depends_on entries")]


def dependency_cycle(phases: list) -> list[str] | None:
    """One cycle among the phases' ``depends_on`` as ``[a, b, ..., a]`` where each phase depends on
    the one before it, or None. A plain depth-first search: a plan has a handful of phases, and
    importing networkx for this cost every command that loads a plan ~0.13 s of start-up."""
    depends = {p.id: list(p.depends_on) for p in phases}
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in depends:
        if state.get(start):
            continue
        path = [start]
        pending = [iter(depends[start])]
        state[start] = 1
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if state.get(dep) == 1:
                # path[k:] runs phase -> its dependency; the chain reads dependency -> dependant.
                loop = path[path.index(dep):][::-1]
                return [*loop, loop[0]]
            if not state.get(dep) and dep in depends:
                state[dep] = 1
                path.append(dep)
                pending.append(iter(depends[dep]))
    return None


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
