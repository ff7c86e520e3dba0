"""OpenMetrics snapshots: read with ``prometheus_client``'s parser, answered for a PromQL subset.

The file is what ``promtool tsdb create-blocks-from openmetrics`` reads, so the same snapshot can be
loaded into a real Prometheus. ``prometheus_client`` decides the syntax (exemplars, escapes,
``# EOF``, blank lines, metric families); prepctl adds, fail closed: every sample needs a
timestamp, a plausible one (1970..9999), label names appear once per sample, no whitespace
inside a label set (promtool refuses it), and the file holds at least one sample. Errors name the
line: the parser is fed one line at a time, so the last line it took is the one it refused.

Queries are a PromQL subset, read by ``promql-parser``: a selector (``name{label="v",
other=~"re"}``, regexes RE2 and anchored as Prometheus anchors them), optionally inside ``sum``,
``min``, ``max``, ``avg`` or ``count`` with ``by``/``without``. Evaluation follows Prometheus: the
newest sample within the 5-minute lookback, at each step.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import promql_parser
from prometheus_client.openmetrics.parser import text_fd_to_metric_families

from prepctl.sources.http import SourceError
from prepctl.sources.metrics.interface import MetricsSource, QueryResult, Sample, Series
from prepctl.sources.metrics.labels import LabelMatcher, Labels, labels_of
from prepctl.sources.metrics.promql import PromQLError, parse_promql, selector_of
from prepctl.sources.metrics.query_api import plausible_timestamp

#: Prometheus's default lookback: a sample older than this is no longer "current".
LOOKBACK = 300.0
AGGREGATIONS: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "min": min,
    "max": max,
    "avg": lambda values: sum(values) / len(values),
    "count": lambda values: float(len(values)),
}


class OpenMetricsSnapshot(MetricsSource):
    offline = True

    def __init__(self, series: dict[Labels, list[Sample]], location: str):
        self.series = series
        self.location = location
        self._end = max(s.timestamp for samples in series.values() for s in samples)

    @classmethod
    def parse(cls, text: str, location: str) -> OpenMetricsSnapshot:
        series = parse_openmetrics(text, location)
        for samples in series.values():
            samples.sort(key=lambda s: s.timestamp)
        return cls(series, location)

    def now(self) -> float:
        return self._end

    def instant(self, query: str, at: float) -> QueryResult:
        expr = parse_query(query, self.location)
        return QueryResult(query, "vector", tuple(self._evaluate(expr, at)), at, self.location)

    def range(self, query: str, start: float, end: float, step: float) -> QueryResult:
        expr = parse_query(query, self.location)
        points: dict[Labels, list[Sample]] = {}
        t = start
        while t <= end + 1e-9:
            for one in self._evaluate(expr, t):
                points.setdefault(one.labels, []).extend(one.samples)
            t += step
        series = tuple(Series(labels, tuple(samples)) for labels, samples in sorted(points.items()))
        return QueryResult(query, "matrix", series, end, self.location)

    def _evaluate(self, expr: SnapshotQuery, at: float) -> list[Series]:
        current: list[tuple[Labels, Sample]] = []
        for labels, samples in self.series.items():
            if not expr.matches(labels):
                continue
            sample = latest(samples, at)
            if sample is not None:
                current.append((labels, Sample(at, sample.value)))
        if expr.aggregation is None:
            return [Series(labels, (sample,)) for labels, sample in sorted(current)]
        groups: dict[Labels, list[float]] = {}
        for labels, sample in current:
            groups.setdefault(expr.group_key(labels), []).append(sample.value)
        combine = AGGREGATIONS[expr.aggregation]
        return [Series(key, (Sample(at, combine(values)),)) for key, values in sorted(groups.items())]


def latest(samples: list[Sample], at: float) -> Sample | None:
    """The newest sample at or before ``at`` within the lookback, as Prometheus picks it."""
    index = bisect.bisect_right([s.timestamp for s in samples], at) - 1
    if index < 0:
        return None
    sample = samples[index]
    return sample if at - sample.timestamp < LOOKBACK else None


# ---------------------------------------------------------------- reading the file


class _Lines:
    """The text's lines as the parser takes them, counting which original line it took last.

    promtool reads a series' samples spread through its family (a dump ordered by time:
    ``a{x="1"} @t1, a{x="2"} @t1, a{x="1"} @t2``); prometheus_client wants each series' samples
    together ("Invalid metric grouping"). So within each run of sample lines the lines are fed
    stably sorted by (metric family, label set without ``le``/``quantile``): a series' own order,
    and so its time order, is kept, and every error still names the original line.
    """

    def __init__(self, text: str):
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()  # the final newline ends the last line; it starts none
        self.order = _grouped_order(self.lines)
        self.taken = 0

    def __iter__(self) -> Iterator[str]:
        for index in self.order:
            self.taken = index + 1
            yield self.lines[index] + "\n"


_SUFFIX = re.compile(r"_(?:bucket|count|sum|total|created|gcount|gsum|info)$")
_BUCKET_LABEL = re.compile(r'(?:^|,)(?:le|quantile)="(?:[^"\\]|\\.)*"')


def _grouped_order(lines: list[str]) -> list[int]:
    order: list[int] = []
    run: list[int] = []

    def flush() -> None:
        families: dict[str, int] = {}
        keyed = []
        for index in run:
            line = lines[index]
            brace = line.find("{")
            space = line.find(" ")
            cut = brace if 0 <= brace < space or space < 0 <= brace else space
            name = line[:cut] if cut >= 0 else line
            labels = ""
            if cut == brace and brace >= 0:
                end = _QUOTED.sub(lambda m: "x" * len(m.group(0)), line).find("}", brace)
                labels = _BUCKET_LABEL.sub("", line[brace + 1:end if end >= 0 else len(line)])
            family = families.setdefault(_SUFFIX.sub("", name), len(families))
            keyed.append(((family, labels), index))
        keyed.sort(key=lambda item: item[0])  # stable: a series keeps its own order
        order.extend(index for _, index in keyed)
        run.clear()

    for index, line in enumerate(lines):
        if not line or line.startswith("#"):
            flush()
            order.append(index)
        else:
            run.append(index)
    flush()
    return order


_LABEL_SET = re.compile(r"^[^{\s]*\{(.*?)\}\s")
#: A label name followed by `="`: unquoted text of a label set (quoted values removed first).
_LABEL_NAME = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*""')
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def parse_openmetrics(text: str, location: str) -> dict[Labels, list[Sample]]:
    """Every series of an OpenMetrics snapshot; SourceError naming ``location:LINE`` otherwise."""
    lines = _Lines(text)
    for number, line in enumerate(lines.lines, start=1):
        _check_label_set(line, number, location)
    series: dict[Labels, list[Sample]] = {}
    try:
        for family in text_fd_to_metric_families(lines):
            for sample in family.samples:
                # The parser yields a family when the next one starts: find the sample's own line.
                _add_sample(series, sample.name, sample.labels, sample.value, sample.timestamp, lines.lines)
    except SampleError as exc:
        raise SourceError(f"{location}:{exc.line}: {exc}") from None
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise SourceError(_parser_error(exc, lines, location)) from None
    if not series:
        raise SourceError(f"{location}: the snapshot holds no samples")
    return series


class SampleError(ValueError):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def _add_sample(series: dict[Labels, list[Sample]], name: str, labels: dict[str, str], value: float,
                stamp: object, lines: list[str]) -> None:
    if stamp is None:
        raise SampleError(f"sample of {name} has no timestamp; a snapshot must place every sample in time",
                          _line_of(lines, name, labels, lambda tail: len(tail) == 1))
    seconds = _seconds(stamp)
    if not plausible_timestamp(seconds):
        raise SampleError(f"timestamp {_stamp_text(lines, name, labels)!r} is not a time (Unix seconds "
                          "between 1970 and 9999)", _line_of(lines, name, labels, _implausible))
    series.setdefault(labels_of({**labels, "__name__": name}), []).append(Sample(seconds, float(value)))


def _seconds(stamp: object) -> float:
    sec, nsec = getattr(stamp, "sec", None), getattr(stamp, "nsec", None)
    if isinstance(sec, int) and isinstance(nsec, int):
        return sec + nsec / 1e9
    return float(stamp) if isinstance(stamp, int | float) else math.nan


def _implausible(tail: list[str]) -> bool:
    try:
        return len(tail) == 2 and not plausible_timestamp(float(tail[1]))
    except ValueError:
        return True


def _stamp_text(lines: list[str], name: str, labels: dict[str, str]) -> str:
    number = _line_of(lines, name, labels, _implausible)
    tail = _tail(lines[number - 1], name, labels) if number else None
    return tail[1][:40] if tail and len(tail) == 2 else "?"


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _tail(line: str, name: str, labels: dict[str, str]) -> list[str] | None:
    """The value and timestamp tokens of ``line`` if it is a sample of ``name{labels}``."""
    if not line.startswith((name + " ", name + "{")):
        return None
    if labels:
        if not all(f'{k}="{_escaped(v)}"' in line for k, v in labels.items()):
            return None
        quoted = _QUOTED.sub('""', line)
        rest = quoted[quoted.find("}") + 1:]
    else:
        rest = line[len(name):]
        if rest.startswith("{}"):
            rest = rest[2:]
    return rest.split(" # ", 1)[0].split()


def _line_of(lines: list[str], name: str, labels: dict[str, str], wanted: Callable[[list[str]], bool]) -> int:
    """The first line holding a sample of ``name{labels}`` whose tail is ``wanted``; 0 if none."""
    for number, line in enumerate(lines, start=1):
        tail = _tail(line, name, labels)
        if tail is not None and wanted(tail):
            return number
    return 0


def _check_label_set(line: str, number: int, location: str) -> None:
    """promtool refuses what prometheus_client lets through: a repeated label name (the parser
    kept the last value) and whitespace inside a label set."""
    if line.startswith("#"):
        return
    if line.startswith("{"):
        raise SourceError(f"{location}:{number}: the metric name inside the braces is Prometheus 3 syntax "
                          "that promtool 2.x refuses: write name{label=\"v\"}")
    match = _LABEL_SET.match(_QUOTED.sub('""', line))
    if not match:
        return
    inside = match.group(1)
    names = _LABEL_NAME.findall(inside)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SourceError(f"{location}:{number}: label {repeated[0]} appears twice in one sample; "
                          "Prometheus refuses a repeated label name")
    if re.search(r"\s", inside):
        raise SourceError(f"{location}:{number}: whitespace inside a label set ({{a=\"1\", b=\"2\"}}); "
                          "OpenMetrics and promtool allow none: write {a=\"1\",b=\"2\"}")


#: Errors prometheus_client raises for a whole family, ending in the family's name.
_FAMILY_ERROR = re.compile(r"^(?:Clashing name|\+Inf bucket missing|Count does not match \+Inf value|"
                           r"_g?count must be present|_g?sum/_g?sum must be present|_sum/_gsum must be present|"
                           r"Cannot have|Unit does not match metric name|Units not allowed|Buckets out of order|"
                           r"Bucket values out of order)[^:]*: ([a-zA-Z_:][a-zA-Z0-9_:]*)$")


def _last_line_of(lines: list[str], family: str) -> int:
    for number in range(len(lines), 0, -1):
        words = lines[number - 1].split(" ", 3)
        if lines[number - 1].startswith(family) or (words[0] == "#" and len(words) > 2 and words[2] == family):
            return number
    return 0


def _parser_error(exc: Exception, lines: _Lines, location: str) -> str:
    message = str(exc).strip()
    number = lines.taken
    line = lines.lines[number - 1] if 0 < number <= len(lines.lines) else ""
    if line.endswith("\r"):
        return f"{location}:{number}: line ends with a carriage return: save the snapshot with LF line endings"
    if message.startswith("Missing # EOF"):
        return (f"{location}: no '# EOF' line: the snapshot is truncated or not OpenMetrics text "
                "(a Prometheus text exposition must be converted)")
    if message.startswith("Invalid timestamp"):
        stamp = line.split()[-1] if line.split() else "?"
        return (f"{location}:{number}: timestamp {stamp[:40]!r} is not a time (Unix seconds between "
                f"1970 and 9999) in {line[:80]!r}")
    if message.startswith("could not convert string to float"):
        return f"{location}:{number}: bad value or timestamp in {line[:80]!r}"
    if message.startswith("Received blank line"):
        return f"{location}:{number}: blank line; OpenMetrics has none (promtool refuses it too)"
    reason = message.split(": ", 1)[0] if message else type(exc).__name__
    family = _FAMILY_ERROR.match(message)
    if family:
        # Checked when the next family starts: name the offending family's own last line.
        number = _last_line_of(lines.lines[:number], family.group(1)) or number
        line = lines.lines[number - 1] if number else line
        reason = f"{message} (a family must be contiguous and complete)"
    return f"{location}:{number}: not OpenMetrics text ({reason[:120]}): {line[:80]!r}"


# ---------------------------------------------------------------- the PromQL subset


@dataclass(frozen=True)
class SnapshotQuery:
    matchers: tuple[LabelMatcher, ...]
    aggregation: str | None = None
    grouping: tuple[str, ...] = ()
    without: bool = False

    def matches(self, labels: Labels) -> bool:
        found = dict(labels)
        return all(m.matches(found) for m in self.matchers)

    def group_key(self, labels: Labels) -> Labels:
        if self.without:
            drop = {*self.grouping, "__name__"}
            return tuple((k, v) for k, v in labels if k not in drop)
        return tuple((k, v) for k, v in labels if k in self.grouping)


UNSUPPORTED_HINT = ("a snapshot answers selectors (name{label=\"v\"}), optionally inside sum/min/max/"
                    "avg/count [by|without (...)]; record anything else as a series (a recording "
                    "rule) or save the query's API answer as query-API JSON")


def parse_query(query: str, location: str) -> SnapshotQuery:
    try:
        return _subset(parse_promql(query))
    except (PromQLError, ValueError) as exc:
        raise SourceError(f"{location} cannot answer `{query}`: {exc}; {UNSUPPORTED_HINT}") from None


def _subset(expr: promql_parser.Expr) -> SnapshotQuery:
    while isinstance(expr, promql_parser.ParenExpr):
        expr = expr.expr
    if isinstance(expr, promql_parser.AggregateExpr):
        op = str(expr.op).rsplit(".", 1)[-1].lower()
        if op not in AGGREGATIONS or expr.param is not None:
            raise ValueError(f"aggregation {op}()")
        inner = _subset(expr.expr)
        if inner.aggregation is not None:
            raise ValueError("nested aggregations")
        modifier = expr.modifier
        without = modifier is not None and str(modifier.type).rsplit(".", 1)[-1] == "Without"
        grouping = tuple(modifier.labels) if modifier is not None else ()
        return SnapshotQuery(inner.matchers, op, grouping, without)
    if isinstance(expr, promql_parser.VectorSelector):
        selector = selector_of(expr)
        if selector.has_or or selector.modified:
            raise ValueError("`or` inside a selector, offset and @ are not answered from a snapshot")
        matchers = [LabelMatcher(label, op, value) for label, op, value in selector.matchers]
        if selector.name and not any(m.name == "__name__" for m in matchers):
            matchers.insert(0, LabelMatcher("__name__", "=", selector.name))
        return SnapshotQuery(tuple(matchers))
    if isinstance(expr, promql_parser.MatrixSelector):
        raise ValueError("range selectors ([5m]) need a function")
    if isinstance(expr, promql_parser.Call):
        raise ValueError(f"function {expr.func.name}()")
    raise ValueError(f"{type(expr).__name__} expressions")
