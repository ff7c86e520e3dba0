"""Time sanity for the samples an SLO query returned, and the little text helpers its evidence uses.

Why a sample's timestamp is checked at all: a query names its time (an instant, or a range), and a
Prometheus answers exactly there: instant answers are stamped with the evaluation time, range
answers with steps inside the range. A proxy, a Thanos in front of a broken store, a cache or a
test double may answer something else: yesterday's value, one from 1970, one a day in the
future. Any of those can satisfy a threshold while saying nothing about now, so a sample outside
``[start - max_staleness, end + FUTURE_SKEW]`` makes the series an ``error`` that names the
offending timestamp, whatever ``on_no_data`` says. For an instant query ``start`` is ``end``:
the answer must be at most ``max_staleness`` old, whatever lookback the server applied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

#: Seconds a sample may lie after the query's end. A correct server never stamps later than the
#: time it was asked for; this only absorbs the millisecond rounding of the ``time``/``end``
#: parameter and query front-ends that align steps. A minute ahead is already an error.
FUTURE_SKEW = 5.0


def iso(epoch: float) -> str:
    """ISO 8601 UTC, to the second; timestamps outside what a datetime holds are shown as numbers."""
    try:
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{epoch:g} (not a date)"


def out_of_range(stamps: Iterable[float], start: float, end: float, staleness: float) -> str | None:
    """Why a series' samples cannot be trusted in time, or None when every stamp is plausible.

    ``start``/``end`` are the query's range (equal for an instant query); ``staleness`` is the
    objective's ``max_staleness`` in seconds."""
    earliest, latest = start - staleness, end + FUTURE_SKEW
    for stamp in stamps:
        if not math.isfinite(stamp):
            return f"sample timestamp {stamp} is not a time"
        if stamp > latest:
            return (f"sample stamped {iso(stamp)} is in the future: {_span(stamp - end)} after the "
                    f"query time {iso(end)} (allowed skew {FUTURE_SKEW:g}s); the server's answer is "
                    "not about now")
        if stamp < earliest:
            what = "instant query time" if start == end else "start of the queried range"
            return (f"sample stamped {iso(stamp)} is {_span(start - stamp)} before the {what} "
                    f"{iso(start)}, more than max_staleness ({_span(staleness)}) allows")
    return None


def out_of_order(stamps: Iterable[float]) -> str | None:
    """Why a series' samples are not strictly in time order, or None. Prometheus sends each
    series oldest first, one sample per time; an answer that does not would make ``last`` and
    staleness read the wrong point (a passing old value taken as the newest)."""
    previous: float | None = None
    for stamp in stamps:
        if previous is not None and stamp <= previous:
            if stamp == previous:
                return f"two samples stamped {iso(stamp)}: which one holds is unknown"
            return f"samples out of time order: {iso(stamp)} comes after {iso(previous)}"
        previous = stamp
    return None


def _span(seconds: float) -> str:
    """A rough human duration: 3d, 5h, 12m, 40s."""
    if seconds >= 1:
        seconds = float(round(seconds))  # query times carry milliseconds: 86399.9996 is a day
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            count = seconds / size
            return f"{count:.0f}{unit}" if 10 <= count < 1e6 else f"{count:.2g}{unit}"
    return f"{seconds:.2g}s"


def series_labels(labels: Iterable[tuple[str, str]]) -> str:
    """``{a="1", b="2"}`` without the metric name; empty when there is nothing else."""
    shown = [(k, v) for k, v in labels if k != "__name__"]
    if not shown:
        return ""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in shown) + "}"


def num(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.6g}"
