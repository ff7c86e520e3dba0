"""Gate kind `slo`: PromQL objectives against thresholds or a captured baseline.

```yaml
- id: analytics-slos
  kind: slo
  title: Analytics latency and error rate within freeze thresholds
  objectives:
    - name: analytics-latency-p95
      query: service:http_request_duration_seconds:p95{service="prep-api"}
      window: 1h          # evaluate over the last hour ...
      aggregate: max      # ... and judge its max (min, avg, last, median, p50..p99.9)
      pass: "<= 0.8"
      warn: "<= 1.0"
    - name: analytics-api-latency-p95
      query: service:http_request_duration_seconds:p95{service="analytics-api"}
      pass: "<=+10%"      # at most 10% above the baseline's value
      baseline: phase-0/analytics-latency-p95
```

A criterion string is ``OP NUMBER`` (``< 0.3``), ``OP baseline [* F | + N | - N]``
(``<= baseline * 1.10``) or, Keptn-style, ``OP`` followed by a signed change from the baseline
(``<=+10%``, ``>=-5%``, ``<=+0.05``). A list means all of them. ``pass`` failing falls back to
``warn``; both failing is ``fail``.

Missing evidence is never a pass: an empty result, NaN, ±Inf, a series whose newest point is
older than ``max_staleness``, a missing or stale baseline: all ``error``. Only an objective that
says what no data means (``on_no_data: pass|warn|fail``, for low-traffic endpoints) turns an
empty/NaN/stale window into that status, and the evidence says it did. A sample stamped outside
``[start - max_staleness, end + 5s]`` (in the future, from 1970, an instant answer older than
``max_staleness``) is ``error`` whatever ``on_no_data`` says: see ``prepctl.gates.slo_samples``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prepctl.errors import GateError
from prepctl.gates.base import Gate, GateContext
from prepctl.gates.slo_measure import Measurement, SeriesValue, aggregate, measure, measure_all
from prepctl.gates.slo_model import (
    DEFAULT_STALENESS,
    BaselineRef,
    Condition,
    Objective,
    SloSpec,
    as_list,
    format_duration,
    objective_hash,
    parse_condition,
    parse_duration,
    split_baseline_ref,
)
from prepctl.gates.slo_samples import iso, num, series_labels
from prepctl.plan.model import Phase
from prepctl.verdicts import Evidence, Metric, Status, Verdict, worst

if TYPE_CHECKING:
    from prepctl.baselines import BaselineStore
    from prepctl.sources.prometheus import Labels

#: Names that moved to slo_model, slo_measure and slo_samples, still importable from here.
__all__ = ["DEFAULT_STALENESS", "BaselineRef", "Condition", "Measurement", "Objective", "SeriesValue",
           "SloGate", "SloSpec", "aggregate", "as_list", "format_duration", "iso", "judge", "measure",
           "measure_all", "objective_hash", "parse_condition", "parse_duration", "split_baseline_ref"]


# ---------------------------------------------------------------- judging


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


class SloGate(Gate[SloSpec]):
    kind = "slo"
    options = SloSpec
    live = True

    def check(self, spec: SloSpec, phase: Phase, ctx: GateContext) -> Verdict:
        from prepctl.baselines import BaselineStore
        from prepctl.sources.metrics import prometheus_source

        source = prometheus_source(ctx)
        store = ctx.shared("baselines", lambda: BaselineStore(ctx.plan))
        outcomes: list[ObjectiveOutcome] = []
        for objective, measurement in zip(spec.objectives, measure_all(spec, source), strict=True):
            try:
                if isinstance(measurement, GateError):
                    raise measurement
                outcomes.append(judge(spec, measurement, store))
            except GateError as exc:
                outcomes.append(ObjectiveOutcome(Status.ERROR, f"{objective.name}: {exc}",
                                                 [Evidence(f"{objective.name}: {exc}")]))
        status = worst([o.status for o in outcomes])
        evidence = [e for o in outcomes for e in o.evidence]
        shown = [o.summary for o in outcomes if o.status is status] or [o.summary for o in outcomes]
        summary = f"{len(outcomes)} objective{'s' if len(outcomes) != 1 else ''}: " + " | ".join(shown)
        from prepctl.sources.http import redact_verdict

        return redact_verdict(Verdict.of(status, summary, evidence))
