"""The `graph check` use case: every `imports` contract of the plan, judged against the ratchet.

A violation recorded in the baseline only warns, a new one fails. With ``update_baseline`` the
run first records today's violations, then judges against what it recorded, so the answer
reflects the file as committed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prepctl.errors import PrepctlError, Problem
from prepctl.graph.baseline import Baseline
from prepctl.graph.check import ContractOutcome, evaluate_contract
from prepctl.graph.contracts import ContractContext
from prepctl.graph.load import GraphSettings, build_graph, discover_importlinter, plan_contracts
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import Status, worst


@dataclass(frozen=True)
class RatchetRequest:
    #: Only this phase's contracts (None: every phase's).
    phase: str | None = None
    #: Record today's violations as the baseline before judging.
    update_baseline: bool = False


@dataclass
class RatchetResult:
    status: Status
    baseline_path: Path
    outcomes: list[ContractOutcome] = field(default_factory=list)
    #: contract id -> why it could not be evaluated
    errors: dict[str, str] = field(default_factory=dict)
    #: After update_baseline: (violations, contracts) now recorded; None when nothing was written.
    recorded: tuple[int, int] | None = None
    #: The import-linter configuration whose contracts ran, e.g. "pyproject.toml [tool.importlinter]".
    importlinter_source: str | None = None


def check_contracts(settings: GraphSettings, request: RatchetRequest) -> RatchetResult:
    """Run the plan's `imports` contracts and the import-linter ones on the work tree's graph.

    With no contract configured at all, import-linter's configuration in the root is used.
    Raises PrepctlError (exit 2) for an unknown phase, and when there is no contract to check:
    a check of nothing is not a pass."""
    if request.phase is not None:
        if settings.plan is None:
            raise PrepctlError("--phase needs phases.yaml: pass -c FILE or run it where phases.yaml is")
        settings.plan.phase(request.phase)  # unknown phase: a clear error with a suggestion
    discover_importlinter(settings)
    contracts = plan_contracts(settings, request.phase)
    if not contracts or settings.baseline_path is None:
        raise PrepctlError(no_contracts(settings, request.phase))
    graph = build_graph(settings)
    baseline = Baseline.load(settings.baseline_path)
    context = ContractContext(WorkTree(settings.root), settings.groups)
    outcomes: list[ContractOutcome] = []
    errors: dict[str, str] = {}
    for contract_id, options in contracts:
        try:
            outcomes.append(evaluate_contract(contract_id, options, graph, context, baseline))
        except PrepctlError as exc:
            errors[contract_id] = "; ".join(p.message for p in exc.problems)
    recorded = None
    if request.update_baseline:
        in_plan = {contract_id for contract_id, _ in plan_contracts(settings)}
        baseline.write(updated_entries(baseline, in_plan, outcomes, errors))
        recorded = (sum(len(v) for v in baseline.entries.values()), len(baseline.entries))
        options_of = dict(contracts)
        outcomes = [evaluate_contract(o.contract_id, options_of[o.contract_id], graph, context, baseline)
                    for o in outcomes]
    status = worst([o.status for o in outcomes] + [Status.ERROR for _ in errors])
    return RatchetResult(status=status, baseline_path=settings.baseline_path, outcomes=outcomes,
                         errors=errors, recorded=recorded, importlinter_source=settings.importlinter_source)


def no_contracts(settings: GraphSettings, phase: str | None) -> Problem:
    """Why there is nothing to check, and where contracts come from."""
    where = str(settings.plan.path) if settings.plan is not None else str(settings.root)
    if phase is not None and settings.importlinter_source:
        return Problem(file=where, message=f"no contracts: no `imports` criteria in {phase}; the import-linter "
                       f"contracts of {settings.importlinter_source} belong to no phase",
                       hint="leave out --phase to check them")
    if settings.plan is None:
        found = "no config (phases.yaml, or pyproject.toml with [tool.prepctl])"
    elif phase:
        found = f"no `imports` criteria in {phase}"
    else:
        found = "no `imports` criteria, no graph: contracts:"
    return Problem(file=where, message=f"no contracts: {found} and no import-linter configuration "
                   "(pyproject.toml [tool.importlinter], .importlinter or setup.cfg [importlinter])",
                   hint="add an `imports` criterion to a phase or a graph: contracts: entry (see "
                        "docs/phases-yaml.md), set graph: importlinter:, or configure import-linter; "
                        "a check of nothing is not a pass")


def updated_entries(baseline: Baseline, in_plan: set[str], outcomes: list[ContractOutcome],
                    errors: dict[str, str]) -> dict[str, list[str]]:
    """The baseline after this run: entries of contracts no longer in the plan go; other phases'
    entries stay (a --phase run judged only its own); each evaluated contract records its
    violations; a contract in error keeps what it had, as an error says nothing about violations."""
    entries = {k: v for k, v in baseline.entries.items() if k in in_plan}
    for outcome in outcomes:
        entries[outcome.contract_id] = [v.key for v in outcome.result.violations]
    for contract_id in errors:
        if contract_id in baseline.entries:
            entries[contract_id] = baseline.entries[contract_id]
    return entries
