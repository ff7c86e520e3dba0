"""Evaluate phases: run each criterion's gate and roll verdicts up into phase results.

Every declared criterion yields a verdict. An exception inside a gate, an unknown kind or a
kind this build does not provide becomes ``error`` (fail closed), never ``pass``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from prepctl.errors import GateError, PrepctlError, Problem
from prepctl.gates import registry
from prepctl.gates.base import Gate
from prepctl.history import record_or_warn
from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import (
    CriterionResult,
    Evidence,
    GateReport,
    PhaseResult,
    Status,
    Verdict,
    exit_code,
    overall_status,
    phase_status,
)

MAX_WORKERS = 8

#: ``on_progress(done, total, label)``: ``done`` of ``total`` criteria evaluated, ``label`` the
#: phase/criterion just finished. Always called from the calling thread; the command decides how
#: to show it (a progress bar on a terminal), so evaluation never imports a terminal library.
ProgressCallback = Callable[[int, int, str], None]


def evaluate_criterion(spec: CriterionSpec, phase: Phase, ctx: GateContext) -> CriterionResult:
    started = time.perf_counter()
    verdict = _verdict(spec, phase, ctx)
    return CriterionResult(id=spec.id, kind=spec.kind, title=spec.title, advisory=spec.advisory,
                           verdict=verdict, seconds=round(time.perf_counter() - started, 3))


def _verdict(spec: CriterionSpec, phase: Phase, ctx: GateContext) -> Verdict:
    try:
        gate_cls = registry.GATES.get(spec.kind)
    except Exception as exc:  # a broken plugin must not take the whole run down
        return Verdict.of(Status.ERROR, f"gate kind '{spec.kind}' failed to load: {exc}")
    if gate_cls is None:
        return Verdict.of(Status.ERROR, f"gate kind not available: '{spec.kind}'")
    if ctx.revision is not None and gate_cls.live:
        return Verdict.of(Status.SKIP, "live source, not historical",
                          [Evidence("revision", revision=ctx.revision)])
    try:
        return gate_cls().check(spec, phase, ctx)
    except GateError as exc:
        return Verdict.of(Status.ERROR, str(exc))
    except Exception as exc:  # fail closed: a crash is an error verdict, not a traceback
        return Verdict.of(Status.ERROR, f"{type(exc).__name__} while checking: {exc}")


def evaluate_phase(phase: Phase, ctx: GateContext, strict: bool = False,
                   on_done: Callable[[str], None] | None = None) -> PhaseResult:
    """Evaluate every criterion of ``phase``; ``on_done(criterion_id)`` after each one (in this
    thread, in the order they finish)."""
    specs = list(phase.criteria)
    results: list[CriterionResult | None] = [None] * len(specs)
    concurrent = []
    io_gates: set[type[Gate]] = set()
    for index, spec in enumerate(specs):
        gate_cls = _safe_class(spec.kind)
        if gate_cls is not None and gate_cls.does_io:
            concurrent.append(index)
            io_gates.add(gate_cls)
        else:
            results[index] = evaluate_criterion(spec, phase, ctx)
            if on_done is not None:
                on_done(spec.id)
    if concurrent:
        import_before_threads(io_gates)
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(concurrent))) as pool:
            futures = {pool.submit(evaluate_criterion, specs[i], phase, ctx): i for i in concurrent}
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                if on_done is not None:
                    on_done(specs[index].id)
    done = [r for r in results if r is not None]
    return PhaseResult(phase=phase.id, title=phase.title, status=phase_status(done, strict),
                       criteria=done, revision=ctx.revision)


def import_before_threads(gate_classes: Iterable[type[Gate]]) -> None:
    """Import what the gates import lazily, here in one thread, before their checks run in several.

    A module that fails to import is left alone: the check meets the same failure and turns it
    into an error verdict, with the criterion it belongs to."""
    for gate_cls in gate_classes:
        for module in gate_cls.lazy_imports:
            try:
                importlib.import_module(module)
            except Exception:  # reported by the check itself, as its verdict
                continue


def _safe_class(kind: str):
    try:
        return registry.GATES.get(kind)
    except Exception:
        return None


def make_context(plan: LoadedPlan, at: str | None = None) -> GateContext:
    if at is None:
        from prepctl.sources.tree import WorkTree

        return GateContext(plan=plan, tree=WorkTree(plan.root))
    from prepctl.sources.git import GitRevisionTree

    tree = GitRevisionTree.open(plan.root, at)
    return GateContext(plan=plan, tree=tree, revision=tree.revision)


def evaluate(plan: LoadedPlan, phase_ids: list[str], strict: bool = False,
             at: str | None = None, ctx: GateContext | None = None,
             criteria: Collection[str] | None = None,
             on_progress: ProgressCallback | None = None) -> GateReport:
    """Evaluate the given phases (in the order given) against the plan's root or a revision;
    with ``criteria``, only those criteria of each phase (each id must exist in every phase)."""
    ctx = ctx or make_context(plan, at)
    phases = [plan.phase(pid) for pid in phase_ids]
    if criteria is not None:
        phases = [only_criteria(phase, criteria, plan) for phase in phases]
    if on_progress is None:
        results = [evaluate_phase(phase, ctx, strict) for phase in phases]
    else:
        results = _evaluate_reporting(phases, ctx, strict, on_progress)
    return GateReport(phases=results, status=overall_status(r.status for r in results),
                      config_path=str(plan.path), root=str(plan.root), revision=ctx.revision,
                      strict=strict)


def _evaluate_reporting(phases: list[Phase], ctx: GateContext, strict: bool,
                        on_progress: ProgressCallback) -> list[PhaseResult]:
    total = sum(len(phase.criteria) for phase in phases)
    done = 0
    results = []
    for phase in phases:
        on_progress(done, total, phase.id)

        def finished(criterion_id: str, phase_id: str = phase.id) -> None:
            nonlocal done
            done += 1
            on_progress(done, total, f"{phase_id}/{criterion_id}")

        results.append(evaluate_phase(phase, ctx, strict, on_done=finished))
    return results


def only_criteria(phase: Phase, criterion_ids: Collection[str], plan: LoadedPlan) -> Phase:
    """The phase with only the named criteria, in plan order; an unknown id is a PrepctlError."""
    known = [spec.id for spec in phase.criteria]
    unknown = [cid for cid in criterion_ids if cid not in known]
    if unknown:
        raise PrepctlError(Problem(file=str(plan.path), message=f"{phase.id} has no criterion "
                                   + ", ".join(f"'{cid}'" for cid in unknown),
                                   hint="its criteria: " + ", ".join(known)))
    wanted = set(criterion_ids)
    return phase.model_copy(update={"criteria": [spec for spec in phase.criteria if spec.id in wanted]})


def select_phases(plan: LoadedPlan, phase: str | None, all_phases: bool, with_deps: bool) -> list[str]:
    if all_phases:
        return plan.order()
    if phase is None:
        raise PrepctlError("name a PHASE or pass --all")
    plan.phase(phase)  # unknown phase -> clear error with a suggestion
    return [*plan.predecessors(phase), phase] if with_deps else [phase]


@dataclass(frozen=True)
class GateRequest:
    """What `prepctl gate` was asked: one phase (with its predecessors) or all of them."""

    phase: str | None = None
    all_phases: bool = False
    with_deps: bool = False
    strict: bool = False
    #: A git revision to read code-based criteria at; live criteria are skipped then.
    at: str | None = None


@dataclass(frozen=True)
class GateOutcome:
    report: GateReport
    #: 0 pass (warn passes unless strict), 1 fail, 2 error.
    exit_code: int


def run_gate(plan: LoadedPlan, request: GateRequest, on_progress: ProgressCallback | None = None) -> GateOutcome:
    """The gate use case: evaluate the requested phases, record the run in the gate history and
    decide the exit code. A history that cannot be written is a warning on stderr, never a
    different exit code: CI acts on the verdict."""
    phase_ids = select_phases(plan, request.phase, request.all_phases, request.with_deps)
    report = evaluate(plan, phase_ids, strict=request.strict, at=request.at, on_progress=on_progress)
    record_or_warn(plan, report)
    return GateOutcome(report=report, exit_code=exit_code(report.status))
