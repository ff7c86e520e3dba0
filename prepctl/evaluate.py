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
from prepctl.history import RecordedCriterion, Run, history_path, record_or_warn, replayable_run
from prepctl.history.replay import describe
from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import (
    CriterionResult,
    Evidence,
    GateReport,
    Metric,
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


class Evaluation:
    """One evaluation for one command invocation: each (phase id, criterion id) is checked at most
    once, whichever documents and tables ask for it (an RFC per phase, the dashboard and its
    statuses, ...). A command creates it and passes it down; nothing below creates another.

    Built ``from_run``, it holds a recorded gate run instead and evaluates nothing: a criterion the
    run did not record is a PrepctlError (exit 2) naming what to run, never a fresh check mixed
    into a document that says it was rendered from that run."""

    def __init__(self, plan: LoadedPlan, strict: bool = False, at: str | None = None,
                 ctx: GateContext | None = None):
        self.plan = plan
        self.strict = strict
        self._at = at
        self._ctx = ctx
        self._results: dict[tuple[str, str], CriterionResult] = {}
        self._phases: dict[str, PhaseResult] = {}
        #: The recorded run this evaluation replays, or None when it evaluates now.
        self.run: Run | None = None

    @classmethod
    def from_run(cls, plan: LoadedPlan, run: Run) -> Evaluation:
        # Not the run's --strict: criteria are recorded as judged, and a document rolls them up
        # the way it does when it evaluates now.
        evaluation = cls(plan)
        evaluation.run = run
        for recorded in run.phases:
            for crit in recorded.criteria:
                evaluation._results[(recorded.phase, crit.id)] = recorded_result(crit)
        return evaluation

    @property
    def source(self) -> str:
        """Where the verdicts come from, for a document's state region or footer ("" = now)."""
        if self.run is None:
            return ""
        return f"gate run #{self.run.uid[:8]} of {self.run.time_text[:19].replace('T', ' ')} UTC"

    def context(self) -> GateContext:
        if self._ctx is None:
            self._ctx = make_context(self.plan, self._at)
        return self._ctx

    def phase(self, phase_id: str) -> PhaseResult:
        """The phase's result; only criteria not yet checked in this invocation are checked."""
        if phase_id in self._phases:
            return self._phases[phase_id]
        phase = self.plan.phase(phase_id)
        missing = [spec.id for spec in phase.criteria if (phase_id, spec.id) not in self._results]
        if missing and self.run is not None:
            raise PrepctlError(Problem(
                file=str(self.plan.path), message=f"gate run #{self.run.uid[:8]} did not record "
                f"{phase_id} criteria " + ", ".join(f"'{cid}'" for cid in missing),
                hint=f"run `prepctl gate {phase_id}` (or `gate --all`) first, or leave out --from-history"))
        revision = self.run.revision if self.run is not None and self.run.historical else None
        if self.run is not None:
            self._conform(phase)
        if missing:
            fresh = evaluate_phase(only_criteria(phase, missing, self.plan), self.context(), self.strict)
            for result in fresh.criteria:
                self._results[(phase_id, result.id)] = result
            revision = fresh.revision
        done = [self._results[(phase_id, spec.id)] for spec in phase.criteria]
        result = PhaseResult(phase=phase.id, title=phase.title, status=phase_status(done, self.strict),
                             criteria=done, revision=revision)
        self._phases[phase_id] = result
        return result

    def _conform(self, phase: Phase) -> None:
        """Hold the replayed results of ``phase`` to phases.yaml, which is authoritative (the run
        was recorded under the same config hash): a recorded kind that differs is a damaged store,
        refused; whether a criterion is advisory is the plan's, so a record flipped to advisory can
        never let a failing criterion pass the phase."""
        assert self.run is not None
        for spec in phase.criteria:
            recorded = self._results[(phase.id, spec.id)]
            if recorded.kind != spec.kind:
                raise PrepctlError(Problem(
                    file=str(history_path(self.plan)), message=f"gate run #{self.run.uid[:8]} recorded "
                    f"{phase.id}/{spec.id} as kind '{recorded.kind}', but phases.yaml declares '{spec.kind}': "
                    "the history store does not match the plan it was recorded under (damaged or edited)",
                    hint="run `prepctl gate --all` to record a fresh run, or leave out --from-history"))
            if recorded.advisory != spec.advisory:
                self._results[(phase.id, spec.id)] = CriterionResult(
                    recorded.id, recorded.kind, recorded.title, spec.advisory, recorded.verdict, recorded.seconds)

    @property
    def used(self) -> str:
        """The line a --from-history command prints on stderr ("" when evaluating now)."""
        return "" if self.run is None else describe(self.run)

    def phases(self, phase_ids: list[str]) -> list[PhaseResult]:
        return [self.phase(pid) for pid in phase_ids]

    def report(self, phase_ids: list[str]) -> GateReport:
        results = [self.phase(pid) for pid in phase_ids]
        return GateReport(phases=results, status=overall_status(r.status for r in results),
                          config_path=str(self.plan.path), root=str(self.plan.root),
                          revision=results[0].revision if results else None, strict=self.strict)


def evaluation_for(plan: LoadedPlan, phase_ids: list[str], from_history: bool = False) -> Evaluation:
    """The one evaluation of a command invocation: evaluating now, or (``from_history``) the newest
    gate run recorded on this exact tree state that covers ``phase_ids``; refused (PrepctlError,
    exit 2) when there is none or the tree state cannot be matched."""
    if not from_history:
        return Evaluation(plan)
    evaluation = Evaluation.from_run(plan, replayable_run(plan, phase_ids))
    evaluation.phases(phase_ids)  # every criterion recorded, or refused now, before anything is written
    return evaluation


def recorded_result(crit: RecordedCriterion) -> CriterionResult:
    """A recorded criterion as the verdict documents show: status, summary and evidence (with its
    metric) as recorded. Recorded text was redacted when it was stored."""
    evidence = tuple(recorded_evidence(item) for item in crit.evidence)
    return CriterionResult(id=crit.id, kind=crit.kind, title=crit.title, advisory=crit.advisory,
                           verdict=Verdict(crit.status, crit.summary, evidence), seconds=crit.seconds)


def recorded_evidence(item: dict[str, object]) -> Evidence:
    """One recorded evidence dict (read, never trusted): fields of the wrong type are left out."""
    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) else None

    line = item.get("line")
    return Evidence(label=str(item.get("label", "")), path=text("path"),
                    line=line if isinstance(line, int) and not isinstance(line, bool) else None,
                    value=item.get("value"), expected=item.get("expected"), revision=text("revision"),
                    url=text("url"), metric=Metric.from_dict(item.get("metric")),
                    status=status_of(item.get("status")), baselined=item.get("baselined") is True)


def status_of(value: object) -> Status | None:
    """A recorded per-item status, when it is one prepctl writes (anything else: the criterion's)."""
    try:
        return Status(value) if isinstance(value, str) else None
    except ValueError:
        return None


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
