"""Measuring an `slo` objective: run its query and reduce each series to one number, or say why
there is none (no points, NaN, ±Inf, stale, or samples from the wrong time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prepctl.errors import GateError
from prepctl.slo.durations import format_duration, parse_duration
from prepctl.slo.objectives import Objective, SloSpec
from prepctl.slo.samples import iso, out_of_order, out_of_range

if TYPE_CHECKING:
    from prepctl.sources.metrics.interface import MetricsSource
    from prepctl.sources.metrics.labels import Labels


@dataclass(frozen=True)
class SeriesValue:
    labels: Labels
    value: float | None  # None when there is no usable number
    at: float  # time of the newest point used
    problem: str | None = None  # why there is no usable number
    no_data: bool = False  # the problem is absence of data (which on_no_data may accept)
    points: int = 1
    nan_points: int = 0
    first: float | None = None  # time of the oldest finite point used (a window's coverage)
    hole: tuple[float, float] | None = None  # the widest stretch between two points (from, to)


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
    if window is not None:
        values = [_covering(one, start, end, objective.step_seconds or 60.0, objective.window or "")
                  for one in values]
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
    hole = max(zip(points, points[1:], strict=False), key=lambda pair: pair[1][0] - pair[0][0], default=None)
    return SeriesValue(labels, aggregate(values, objective.aggregate or "last"), newest,
                       points=len(points), nan_points=nan_points, first=finite[0][0],
                       hole=(hole[0][0], hole[1][0]) if hole is not None else None)


def _covering(one: SeriesValue, start: float, end: float, step: float, window: str) -> SeriesValue:
    """A window's number only stands for the window if the series has points from its start to
    its end: a series that begins 5 min before the end of a 1 h window says nothing about the
    other 55 min, nor one absent for 30 min in the middle about those. One missing step is a
    scrape gap; more is insufficient data, an error whatever on_no_data says (a series that just
    appeared may already be failing, and the window would hide it)."""
    if one.value is None or one.first is None:
        return one
    if one.first > start + step + 1e-6:
        covered = format_duration(round(end - one.first))
        return SeriesValue(one.labels, None, one.at, f"insufficient data: the answer covers only the last "
                           f"{covered} of the {window} window (first point {iso(one.first)}); shorten the "
                           "window or wait until the series has a full window", points=one.points,
                           nan_points=one.nan_points)
    if one.hole is not None and one.hole[1] - one.hole[0] > 2 * step + 1e-6:
        # The same rule inside the window: a series absent for half an hour in the middle says
        # nothing about that half hour (the maximum may have been there).
        lost = format_duration(round(one.hole[1] - one.hole[0]))
        return SeriesValue(one.labels, None, one.at, f"insufficient data: no points for {lost} inside the "
                           f"{window} window (from {iso(one.hole[0])} to {iso(one.hole[1])}, step "
                           f"{format_duration(step)}); fill absent stretches in the query (`or vector(0)`) "
                           "if absence means zero, or fix the scrape", points=one.points,
                           nan_points=one.nan_points)
    return one


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
