"""Judging an ``slo`` criterion: each objective's measured series against its criteria (and its
captured baseline), rolled up to one verdict.

Missing evidence is never a pass: an empty result, NaN, ±Inf, a stale series, a missing or stale
baseline are all ``error``, unless the objective says what no data means (``on_no_data``).
Prometheus warnings (a partial answer) turn a pass into a warn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prepctl.errors import GateError
from prepctl.slo.measure import Measurement, measure_all
from prepctl.slo.objectives import Objective, SloSpec
from prepctl.slo.samples import iso, num, series_labels
from prepctl.verdicts import Evidence, Metric, Status, Verdict, worst

if TYPE_CHECKING:
    from prepctl.slo.baselines import BaselineStore
    from prepctl.sources.metrics.interface import MetricsSource
    from prepctl.sources.metrics.labels import Labels


def judge_spec(spec: SloSpec, source: MetricsSource, baselines: BaselineStore) -> Verdict:
    """Measure every objective of the criterion and judge it; one objective's failed query is
    that objective's ``error`` and does not hide another's clear failure."""
    outcomes: list[ObjectiveOutcome] = []
    for objective, measurement in zip(spec.objectives, measure_all(spec, source), strict=True):
        try:
            if isinstance(measurement, GateError):
                raise measurement
            outcomes.append(judge(spec, measurement, baselines))
        except GateError as exc:
            outcomes.append(ObjectiveOutcome(Status.ERROR, f"{objective.name}: {exc}",
                                             [Evidence(f"{objective.name}: {exc}")]))
    status = worst(o.status for o in outcomes)
    evidence = [e for o in outcomes for e in o.evidence]
    shown = [o.summary for o in outcomes if o.status is status] or [o.summary for o in outcomes]
    summary = f"{len(outcomes)} objective{'s' if len(outcomes) != 1 else ''}: " + " | ".join(shown)
    return Verdict.of(status, summary, evidence)


@dataclass
class ObjectiveOutcome:
    status: Status
    summary: str
    evidence: list[Evidence]


def judge(spec: SloSpec, measurement: Measurement, baselines: BaselineStore | None) -> ObjectiveOutcome:
    objective = measurement.objective
    when = iso(measurement.evaluated_at)
    path = measurement.location[len("file:"):] if measurement.offline else None
    url = None if measurement.offline else (measurement.graph_url or measurement.location)
    origin = "snapshot" if measurement.offline else "Prometheus"
    evidence = [Evidence(f"{objective.name}: query ({measurement.how}, {origin} at {when})",
                         value=measurement.query, path=path, url=url)]
    evidence += [Evidence(f"{objective.name}: Prometheus warning", value=w) for w in measurement.warnings]

    baseline_series = None
    baseline_label = None
    if objective.relative:
        if baselines is None:
            raise GateError("relative objective without a baseline store")
        name, other = spec.baseline_ref(objective)
        entry = baselines.entry(name, other)  # raises GateError when missing or stale
        baseline_series = entry.series
        baseline_label = f"baseline {name}/{other}"
        evidence.append(Evidence(f"{objective.name}: {baseline_label} captured {entry.captured_at}",
                                 value=entry.describe_values(), path=baselines.relpath(name),
                                 expected=f"objective hash {entry.objective_hash}"))

    if not measurement.series:
        return _no_data(objective, "the query returned no series (empty result)", evidence)

    statuses: list[Status] = []
    notes: list[str] = []  # one per series, in step with statuses
    series_evidence: list[Evidence] = []  # one per series, in step with statuses
    for one in measurement.series:
        label = f"{objective.name}{series_labels(one.labels)}"
        if one.value is None:
            reason = one.problem or "no value"
            if one.no_data and objective.on_no_data is not None:
                status = Status(objective.on_no_data)
                series_evidence.append(Evidence(f"{label}: no data ({reason}); on_no_data: "
                                                f"{objective.on_no_data}", value=None, expected="a number"))
            else:
                status = Status.ERROR
                series_evidence.append(Evidence(f"{label}: {reason}", value=None,
                                                expected="a finite number"))
            statuses.append(status)
            notes.append(f"{label} {reason} -> {status}")
            continue
        reference = None
        if baseline_series is not None:
            reference = _baseline_value(baseline_series, one.labels, label, baseline_label or "")
        status, expected = _verdict_for(objective, one.value, reference)
        extra = f", {one.nan_points} NaN points ignored" if one.nan_points else ""
        series_evidence.append(Evidence(f"{label} at {iso(one.at)}{extra}", value=_round(one.value),
                                        expected=expected, url=url, path=path,
                                        metric=Metric(label, _round(one.value), objective=expected)))
        statuses.append(status)
        notes.append(f"{label} = {num(one.value)} -> {status} ({expected})")
    status = worst(statuses)
    evidence += capped_series(objective.name, series_evidence, statuses)
    # The summary names the series that decided the status (the first MAX_SERIES_SHOWN of them).
    shown = [note for note, one in zip(notes, statuses, strict=True) if one is status]
    if len(shown) > MAX_SERIES_SHOWN:
        shown = [*shown[:MAX_SERIES_SHOWN], f"and {len(shown) - MAX_SERIES_SHOWN:,} more series {status}"]
    if status is Status.PASS and measurement.warnings:
        # Prometheus warns when its answer may be incomplete (a remote-read or Thanos store that
        # failed, a partial response): series may be missing, so the pass is only a warn.
        status = Status.WARN
        shown.append(f"{objective.name}: Prometheus warned, the answer may be partial: "
                     f"{measurement.warnings[0][:120]}")
    return ObjectiveOutcome(status, "; ".join(shown), evidence)


#: Series one objective lists in its evidence and summary. A query may answer hundreds of
#: thousands (a high-cardinality label): listing them all made every output that long, and the
#: gate took minutes to print. Series that did not pass are listed first.
MAX_SERIES_SHOWN = 50


def capped_series(name: str, items: list[Evidence], statuses: list[Status]) -> list[Evidence]:
    """The per-series evidence, at most MAX_SERIES_SHOWN lines (non-passing ones first, then
    in answer order), and one line counting the rest by status."""
    if len(items) <= MAX_SERIES_SHOWN:
        return items
    order = sorted(range(len(items)), key=lambda i: statuses[i] is Status.PASS)  # stable
    kept = sorted(order[:MAX_SERIES_SHOWN])
    hidden = Counter(str(statuses[i]) for i in order[MAX_SERIES_SHOWN:])
    counts = ", ".join(f"{count:,} {what}" for what, count in sorted(hidden.items()))
    return [*(items[i] for i in kept),
            Evidence(f"{name}: {len(items) - MAX_SERIES_SHOWN:,} more series not listed ({counts})",
                     value=len(items) - MAX_SERIES_SHOWN)]


def _no_data(objective: Objective, reason: str, evidence: list[Evidence]) -> ObjectiveOutcome:
    if objective.on_no_data is None:
        evidence.append(Evidence(f"{objective.name}: {reason}", value=None,
                                 expected="at least one series (set on_no_data to accept none)"))
        return ObjectiveOutcome(Status.ERROR, f"{objective.name}: {reason}", evidence)
    status = Status(objective.on_no_data)
    evidence.append(Evidence(f"{objective.name}: {reason}; on_no_data: {objective.on_no_data}",
                             value=None, expected="a number"))
    return ObjectiveOutcome(status, f"{objective.name}: {reason}, on_no_data says {status}", evidence)


def _baseline_value(series: list[tuple[Labels, float]], labels: Labels, label: str, where: str) -> float:
    # One captured series serves any current series: the new service's labels differ from the
    # monolith's by design. Several must match label for label.
    if len(series) == 1:
        return series[0][1]
    wanted = tuple((k, v) for k, v in labels if k != "__name__")
    for captured, value in series:
        if tuple((k, v) for k, v in captured if k != "__name__") == wanted:
            return value
    raise GateError(f"{label}: {where} has {len(series)} series and none with these labels")


def _verdict_for(objective: Objective, value: float, baseline: float | None) -> tuple[Status, str]:
    passes = objective.conditions
    warns = objective.warn_conditions
    expected = "pass if " + " and ".join(c.describe(baseline) for c in passes)
    if warns:
        expected += "; warn if " + " and ".join(c.describe(baseline) for c in warns)
    if all(c.holds(value, c.threshold(baseline)) for c in passes):
        return Status.PASS, expected
    if warns and all(c.holds(value, c.threshold(baseline)) for c in warns):
        return Status.WARN, expected
    return Status.FAIL, expected


def _round(value: float) -> float:
    return float(f"{value:.6g}")
