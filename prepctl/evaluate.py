"""Evaluate phases: run each criterion's gate and roll verdicts up into phase results.

Every declared criterion yields a verdict. An exception inside a gate, an unknown kind or a
kind this build does not provide becomes ``error`` (fail closed), never ``pass``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from prepctl.errors import GateError
from prepctl.gates import registry
from prepctl.gates.base import GateContext
from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase
from prepctl.verdicts import (
    CriterionResult,
    Evidence,
    GateReport,
    PhaseResult,
    Status,
    Verdict,
    overall_status,
    phase_status,
)

MAX_WORKERS = 8


@dataclass(frozen=True)
class GateRequest:
    phases: list[str]
    strict: bool = False


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


def evaluate_phase(phase: Phase, ctx: GateContext, strict: bool = False) -> PhaseResult:
    specs = list(phase.criteria)
    results: list[CriterionResult | None] = [None] * len(specs)
    concurrent = []
    for index, spec in enumerate(specs):
        gate_cls = _safe_class(spec.kind)
        if gate_cls is not None and gate_cls.does_io:
            concurrent.append(index)
        else:
            results[index] = evaluate_criterion(spec, phase, ctx)
    if concurrent:
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(concurrent))) as pool:
            futures = {i: pool.submit(evaluate_criterion, specs[i], phase, ctx) for i in concurrent}
            for index, future in futures.items():
                results[index] = future.result()
    done = [r for r in results if r is not None]
    return PhaseResult(phase=phase.id, title=phase.title, status=phase_status(done, strict),
                       criteria=done, revision=ctx.revision)


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
             at: str | None = None, ctx: GateContext | None = None) -> GateReport:
    """Evaluate the given phases (in the order given) against the plan's root or a revision."""
    ctx = ctx or make_context(plan, at)
    results = [evaluate_phase(plan.phase(pid), ctx, strict) for pid in phase_ids]
    return GateReport(phases=results, status=overall_status(r.status for r in results),
                      config_path=str(plan.path), root=str(plan.root), revision=ctx.revision,
                      strict=strict)


def select_phases(plan: LoadedPlan, phase: str | None, all_phases: bool, with_deps: bool) -> list[str]:
    from prepctl.errors import PrepctlError

    if all_phases:
        return plan.order()
    if phase is None:
        raise PrepctlError("name a PHASE or pass --all")
    plan.phase(phase)  # unknown phase -> clear error with a suggestion
    return [*plan.predecessors(phase), phase] if with_deps else [phase]
