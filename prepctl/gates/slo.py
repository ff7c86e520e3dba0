"""Gate kind `slo`: PromQL objectives against thresholds or a captured baseline.

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

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from prepctl.errors import GateError
from prepctl.gates.base import Gate, GateContext
from prepctl.gates.slo_samples import iso, num, out_of_order, out_of_range, series_labels
from prepctl.plan import CriterionSpec, Phase, Slug, StrictModel
from prepctl.verdicts import Evidence, Status, Verdict

if TYPE_CHECKING:
    from prepctl.baselines import BaselineStore
    from prepctl.sources.prometheus import Labels, MetricsSource

DEFAULT_STALENESS = "10m"
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_AGGREGATE = re.compile(r"^(max|min|avg|last|median|p(\d{1,2}(?:\.\d+)?))$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def parse_duration(text: str) -> float:
    """Prometheus durations: ``30s``, ``5m``, ``1h30m``, ``7d``."""
    text = text.strip()
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or total <= 0:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30s, 5m, 1h or 1h30m")
    return total


def format_duration(seconds: float) -> str:
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


# ---------------------------------------------------------------- criteria strings


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda v, t: v <= t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    ">": lambda v, t: v > t,
    "==": lambda v, t: v == t,
    "=": lambda v, t: v == t,
    "!=": lambda v, t: v != t,
}
_NUMBER = r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
_CONDITION = re.compile(r"^\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Condition:
    """One parsed criterion: ``value OP threshold`` where the threshold may depend on a baseline."""

    text: str
    op: str
    how: Literal["absolute", "percent", "delta", "factor", "offset"]
    number: float

    @property
    def relative(self) -> bool:
        return self.how != "absolute"

    def threshold(self, baseline: float | None) -> float:
        if not self.relative:
            return self.number
        if baseline is None:
            raise GateError(f"criterion '{self.text}' is relative to a baseline, and there is none")
        if self.how == "percent":
            return baseline * (1 + self.number / 100)
        if self.how == "factor":
            return baseline * self.number
        return baseline + self.number  # delta, offset

    def holds(self, value: float, threshold: float) -> bool:
        return _OPS[self.op](value, threshold)

    def describe(self, baseline: float | None) -> str:
        op = "==" if self.op == "=" else self.op
        if not self.relative:
            return f"{op} {num(self.number)}"
        if self.how == "percent":
            how = f"baseline {num(baseline)} {self.number:+g}%"
        elif self.how == "factor":
            how = f"baseline {num(baseline)} * {self.number:g}"
        else:
            how = f"baseline {num(baseline)} {self.number:+g}"
        return f"{op} {num(self.threshold(baseline))} ({how})"


def parse_condition(text: str) -> Condition:
    condition = _parse_condition(text)
    # float("1e999") is inf: "< 1e999" would hold for every value, so would "<=+1e999%".
    if not math.isfinite(condition.number):
        raise ValueError(f"criterion {text!r}: the number is too large to compare with")
    return condition


def _parse_condition(text: str) -> Condition:
    match = _CONDITION.match(text)
    if not match:
        raise ValueError(f"criterion {text!r} must start with <, <=, >, >=, == or !=, e.g. '<= 0.8' "
                         "or '<=+10%'")
    op, rhs = match.group(1), match.group(2).replace(" ", "")
    number = f"(?:{_NUMBER})"
    if re.fullmatch(rf"[+-]{number}%", rhs):
        return Condition(text, op, "percent", float(rhs[:-1]))
    if re.fullmatch(rf"[+-]{number}", rhs):
        return Condition(text, op, "delta", float(rhs))
    if re.fullmatch(number, rhs):
        return Condition(text, op, "absolute", float(rhs))
    if rhs == "baseline":
        return Condition(text, op, "factor", 1.0)
    found = re.fullmatch(rf"baseline\*({number})|({number})\*baseline", rhs)
    if found:
        return Condition(text, op, "factor", float(found.group(1) or found.group(2)))
    found = re.fullmatch(rf"baseline/({number})", rhs)
    if found and float(found.group(1)) != 0:
        return Condition(text, op, "factor", 1 / float(found.group(1)))
    found = re.fullmatch(rf"baseline([+-])({number})", rhs)
    if found:
        sign = -1 if found.group(1) == "-" else 1
        return Condition(text, op, "offset", sign * float(found.group(2)))
    raise ValueError(f"criterion {text!r}: after the operator write a number (0.8), a change from "
                     "the baseline (+10%, -0.05) or baseline [* 1.1 | + 0.05]")


def _conditions(value: str | list[str] | None) -> str | list[str] | None:
    for item in as_list(value):
        if not isinstance(item, str):
            raise ValueError(f"criterion {item!r} must be a string such as '<= 0.8'")
        parse_condition(item)
    if isinstance(value, list) and not value:
        raise ValueError("give at least one criterion, e.g. '<= 0.8'")
    return value


def as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# ---------------------------------------------------------------- options


def _checked_baseline_ref(value: str) -> str:
    split_baseline_ref(value)
    return value


#: NAME or NAME/OBJECTIVE of a captured baseline.
BaselineRef = Annotated[str, AfterValidator(_checked_baseline_ref)]


class Objective(StrictModel):
    name: Slug = Field(description="Unique in the phase; baselines store values under it.")
    query: str = Field(min_length=1, description="PromQL. ${var} takes a value from the criterion's vars.")
    window: str | None = Field(None, description="Evaluate over this range (e.g. 1h) instead of an instant.")
    step: str | None = Field(None, description="Resolution of the range (default window/60, at least 15s).")
    aggregate: str | None = Field(None, description="How a window becomes one number: max, min, avg, "
                                  "last, median or pNN (p95, p99.9).")
    pass_: str | list[str] = Field(alias="pass", description="A criterion, or a list that must all hold, "
                                   "to pass: '<= 0.8', '<=+10%', '<= baseline * 1.1'.")
    warn: str | list[str] | None = Field(None, description="If pass fails but these hold: warn, not fail.")
    on_no_data: Literal["pass", "warn", "fail"] | None = Field(
        None, description="What an empty, NaN or stale result means (default: error).")
    max_staleness: str = Field(DEFAULT_STALENESS, description="A series whose newest point is older "
                               "than this is stale; an instant answer stamped earlier is an error.")
    baseline: BaselineRef | None = Field(None, description="NAME or NAME/OBJECTIVE of a captured baseline, for "
                                 "relative criteria (default: the criterion's baseline).")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("pass_", "warn", mode="before")
    @classmethod
    def _parse_criteria(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _conditions(value)

    @field_validator("window", "step", "max_staleness")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _window_needs_aggregate(self) -> Objective:
        if self.aggregate is not None and not _AGGREGATE.match(self.aggregate):
            raise ValueError(f"aggregate {self.aggregate!r}: use max, min, avg, last, median or pNN")
        if self.aggregate is not None and self.window is None:
            raise ValueError(f"objective {self.name}: aggregate needs a window (e.g. window: 1h)")
        if self.window is not None and self.aggregate is None:
            # No default: max is cautious for latency and reckless for availability.
            raise ValueError(f"objective {self.name}: a window needs an aggregate (max, min, avg, "
                             "last, median or pNN) to turn it into one number")
        if self.step is not None and self.window is None:
            raise ValueError(f"objective {self.name}: step needs a window")
        match = _AGGREGATE.match(self.aggregate or "")
        if match and match.group(2) is not None and not 0 < float(match.group(2)) < 100:
            raise ValueError(f"aggregate {self.aggregate}: the percentile must be between 0 and 100")
        return self

    @property
    def conditions(self) -> list[Condition]:
        return [parse_condition(c) for c in as_list(self.pass_)]

    @property
    def warn_conditions(self) -> list[Condition]:
        return [parse_condition(c) for c in as_list(self.warn)]

    @property
    def relative(self) -> bool:
        return any(c.relative for c in (*self.conditions, *self.warn_conditions))

    @property
    def window_seconds(self) -> float | None:
        return parse_duration(self.window) if self.window else None

    @property
    def step_seconds(self) -> float | None:
        window = self.window_seconds
        if window is None:
            return None
        if self.step:
            return parse_duration(self.step)
        return float(max(15, round(window / 60)))

    def render(self, variables: dict[str, str]) -> str:
        return _VAR.sub(lambda m: variables[m.group(1)], self.query)


class SloSpec(CriterionSpec):
    kind: Literal["slo"]
    objectives: list[Objective] = Field(min_length=1)
    baseline: BaselineRef | None = Field(None, description="Default NAME of the captured baseline that relative "
                                 "objectives compare with (see `prepctl baseline capture`).")
    vars: dict[str, str] = Field(default_factory=dict, description="Values for ${name} in queries.")

    @model_validator(mode="after")
    def _consistent(self) -> SloSpec:
        names = [o.name for o in self.objectives]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"objective names must be unique: {', '.join(duplicates)}")
        for objective in self.objectives:
            missing = sorted({m.group(1) for m in _VAR.finditer(objective.query)} - set(self.variables(objective)))
            if missing:
                raise ValueError(f"objective {objective.name}: query uses ${{{missing[0]}}}, which vars "
                                 "does not define" + (" (${window} needs a window)"
                                                      if missing[0] == "window" else ""))
            if objective.relative and not (objective.baseline or self.baseline):
                raise ValueError(f"objective {objective.name}: a relative criterion needs a baseline "
                                 "(baseline: NAME, captured with `prepctl baseline capture`)")
        return self

    def variables(self, objective: Objective) -> dict[str, str]:
        found = dict(self.vars)
        if objective.window:
            found.setdefault("window", objective.window)
        return found

    def baseline_ref(self, objective: Objective) -> tuple[str, str]:
        """(baseline name, objective name in it) for a relative objective."""
        ref = objective.baseline or self.baseline
        assert ref is not None
        name, other = split_baseline_ref(ref)
        return name, other or objective.name


def split_baseline_ref(ref: str) -> tuple[str, str | None]:
    name, _, objective = ref.partition("/")
    slug = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
    if not slug.match(name) or (objective and not slug.match(objective)):
        raise ValueError(f"baseline {ref!r} must be NAME or NAME/OBJECTIVE (lower-case slugs)")
    return name, objective or None


def objective_hash(spec: SloSpec, objective: Objective) -> str:
    """What the measured number depends on; a baseline captured under another hash is stale."""
    payload = {"query": " ".join(objective.render(spec.variables(objective)).split()),
               "window": objective.window_seconds, "step": objective.step_seconds,
               "aggregate": objective.aggregate}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class SeriesValue:
    labels: Labels
    value: float | None  # None when there is no usable number
    at: float  # time of the newest point used
    problem: str | None = None  # why there is no usable number
    no_data: bool = False  # the problem is absence of data (which on_no_data may accept)
    points: int = 1
    nan_points: int = 0


@dataclass(frozen=True)
class Measurement:
    objective: Objective
    query: str  # as sent, ${vars} filled in
    how: str  # "instant" or "max over 1h (step 60s)"
    evaluated_at: float
    location: str
    offline: bool
    graph_url: str | None
    series: list[SeriesValue] = field(default_factory=list)
    warnings: tuple[str, ...] = ()


def measure(spec: SloSpec, objective: Objective, source: MetricsSource,
            at: float | None = None) -> Measurement:
    """Run the objective's query and reduce each series to one number (or say why not)."""
    query = objective.render(spec.variables(objective))
    end = source.now() if at is None else at
    window = objective.window_seconds
    if window is None:
        result = source.instant(query, end)
        how = "instant"
    else:
        step = objective.step_seconds or 60.0
        result = source.range(query, end - window, end, step)
        how = f"{objective.aggregate} over {objective.window} (step {format_duration(step)})"
    staleness = parse_duration(objective.max_staleness)
    start = end - window if window is not None else end
    values = [_reduce(s.labels, [(p.timestamp, p.value) for p in s.samples], objective, (start, end),
                      staleness) for s in result.series]
    return Measurement(objective, query, how, end, source.location, source.offline,
                       source.graph_url(query, window), values, result.warnings)


def _reduce(labels: Labels, points: list[tuple[float, float]], objective: Objective,
            span: tuple[float, float], staleness: float) -> SeriesValue:
    start, end = span
    if not points:
        return SeriesValue(labels, None, end, "no points", no_data=True, points=0)
    # Before NaN and staleness: a sample from the wrong time is a broken answer, never "no data".
    wrong_time = out_of_range((t for t, _ in points), start, end, staleness) \
        or out_of_order(t for t, _ in points)
    if wrong_time is not None:
        return SeriesValue(labels, None, end, wrong_time, points=len(points))
    if any(math.isinf(v) for _, v in points):
        return SeriesValue(labels, None, points[-1][0], "value is ±Inf", points=len(points))
    finite = [(t, v) for t, v in points if not math.isnan(v)]
    nan_points = len(points) - len(finite)
    if not finite:
        return SeriesValue(labels, None, points[-1][0], "value is NaN", no_data=True,
                           points=len(points), nan_points=nan_points)
    newest = finite[-1][0]
    if end - newest > staleness:
        age = format_duration(round(end - newest))
        return SeriesValue(labels, None, newest, f"stale: newest point is {age} old "
                           f"(max_staleness {objective.max_staleness})", no_data=True,
                           points=len(points), nan_points=nan_points)
    values = [v for _, v in finite]
    return SeriesValue(labels, aggregate(values, objective.aggregate or "last"), newest,
                       points=len(points), nan_points=nan_points)


def aggregate(values: list[float], how: str) -> float:
    if how == "last":
        return values[-1]
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    if how == "avg":
        return sum(values) / len(values)
    rank = 50.0 if how == "median" else float(how[1:])
    ordered = sorted(values)
    # Linear interpolation between closest ranks, like numpy's default percentile.
    position = (len(ordered) - 1) * rank / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---------------------------------------------------------------- judging


_WORST_FIRST = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS)


def worst(statuses: list[Status]) -> Status:
    for status in _WORST_FIRST:
        if status in statuses:
            return status
    return Status.ERROR


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
    for one in measurement.series:
        label = f"{objective.name}{series_labels(one.labels)}"
        if one.value is None:
            reason = one.problem or "no value"
            if one.no_data and objective.on_no_data is not None:
                status = Status(objective.on_no_data)
                evidence.append(Evidence(f"{label}: no data ({reason}); on_no_data: {objective.on_no_data}",
                                         value=None, expected="a number"))
            else:
                status = Status.ERROR
                evidence.append(Evidence(f"{label}: {reason}", value=None, expected="a finite number"))
            statuses.append(status)
            notes.append(f"{label} {reason} -> {status}")
            continue
        reference = None
        if baseline_series is not None:
            reference = _baseline_value(baseline_series, one.labels, label, baseline_label or "")
        status, expected = _verdict_for(objective, one.value, reference)
        extra = f", {one.nan_points} NaN points ignored" if one.nan_points else ""
        evidence.append(Evidence(f"{label} at {iso(one.at)}{extra}", value=_round(one.value),
                                 expected=expected, url=url, path=path))
        statuses.append(status)
        notes.append(f"{label} = {num(one.value)} -> {status} ({expected})")
    status = worst(statuses)
    # The summary names the series that decided the status; the evidence has every one.
    shown = [note for note, one in zip(notes, statuses, strict=True) if one is status]
    return ObjectiveOutcome(status, "; ".join(shown), evidence)


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


# ---------------------------------------------------------------- the gate


def measure_all(spec: SloSpec, source: MetricsSource,
                at: float | None = None) -> list[Measurement | GateError]:
    """Measure every objective, live ones concurrently; a failed query is returned, not raised,
    so one broken objective does not hide another's clear failure."""

    def one(objective: Objective) -> Measurement | GateError:
        try:
            return measure(spec, objective, source, at)
        except GateError as exc:
            return exc

    if len(spec.objectives) == 1 or source.offline:
        return [one(o) for o in spec.objectives]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(4, len(spec.objectives))) as pool:
        return list(pool.map(one, spec.objectives))


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
