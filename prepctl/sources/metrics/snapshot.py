"""Offline metrics: answer SLO queries from a file instead of a running Prometheus.

Two formats, told apart by their first character:

- **OpenMetrics text** (what ``promtool tsdb create-blocks-from openmetrics`` reads, so the
  same file can be loaded into a real Prometheus). Every sample needs a timestamp and the file
  must end with ``# EOF``: a truncated snapshot is refused rather than half-read. Queries are a
  PromQL subset: a selector (``name{label="v", other=~"re"}``), optionally inside ``sum``,
  ``min``, ``max``, ``avg`` or ``count`` with ``by``/``without``. Recording-rule series are
  the natural thing to snapshot. Instant and range evaluation follow Prometheus: the newest
  sample within the 5-minute lookback, at each step.
- **Query-API JSON**: answers saved from ``/api/v1/query`` or ``/api/v1/query_range``, wrapped
  with the query each one answers::

      {"captured_at": "2024-06-03T12:00:00Z", "prometheus": "https://prom.example",
       "queries": [{"query": "...", "response": {"status": "success", "data": {...}}}]}

"Now" for a snapshot is when it was captured (``captured_at``, else its newest sample), so a
committed snapshot gives the same verdict next year.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from prepctl.errors import PrepctlError
from prepctl.fileio import decode_utf8, read_regular_file
from prepctl.sources.http import SourceError
from prepctl.sources.metrics.interface import MetricsSource, QueryResult, Sample, Series
from prepctl.sources.metrics.labels import LabelMatcher, Labels, labels_of
from prepctl.sources.metrics.query_api import parse_query_response, plausible_timestamp

#: Prometheus's default lookback: a sample older than this is no longer "current".
LOOKBACK = 300.0
AGGREGATIONS: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "min": min,
    "max": max,
    "avg": lambda values: sum(values) / len(values),
    "count": lambda values: float(len(values)),
}


#: Largest snapshot read: days of recording-rule series fit many times over; a file past it is
#: not a snapshot (or was pointed at by mistake) and would only exhaust memory.
MAX_SNAPSHOT_BYTES = 256 * 2**20


def load_snapshot(root: Path, rel: str) -> MetricsSource:
    path = Path(rel) if Path(rel).is_absolute() else root / rel
    shown = f"file:{rel}"
    try:
        # Only a regular file: a FIFO would block the gate forever, /dev/zero never end.
        data = read_regular_file(path, what=f"metrics snapshot {shown}", max_bytes=MAX_SNAPSHOT_BYTES,
                                 missing_hint="file: paths are relative to the plan's root:")
        text = decode_utf8(data, str(path))
    except PrepctlError as exc:
        raise SourceError(str(exc)) from None
    if text.lstrip().startswith("{"):
        return QueryApiSnapshot.parse(text, shown)
    return OpenMetricsSnapshot.parse(text, shown)


# ---------------------------------------------------------------- OpenMetrics


class OpenMetricsSnapshot(MetricsSource):
    offline = True

    def __init__(self, series: dict[Labels, list[Sample]], location: str):
        self.series = series
        self.location = location
        self._end = max(s.timestamp for samples in series.values() for s in samples)

    @classmethod
    def parse(cls, text: str, location: str) -> OpenMetricsSnapshot:
        series: dict[Labels, list[Sample]] = {}
        saw_eof = False
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if saw_eof:
                raise SourceError(f"{location}:{lineno}: text after '# EOF'")
            if line.startswith("#"):
                if line.strip() == "# EOF":
                    saw_eof = True
                continue
            try:
                labels, sample = _parse_sample_line(line)
            except ValueError as exc:
                raise SourceError(f"{location}:{lineno}: {exc}") from None
            series.setdefault(labels, []).append(sample)
        if not saw_eof:
            raise SourceError(f"{location}: no '# EOF' line: the snapshot is truncated or not "
                              "OpenMetrics text")
        if not series:
            raise SourceError(f"{location}: the snapshot holds no samples")
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
            sample = _latest(samples, at)
            if sample is not None:
                current.append((labels, Sample(at, sample.value)))
        if expr.aggregation is None:
            return [Series(labels, (sample,)) for labels, sample in sorted(current)]
        groups: dict[Labels, list[float]] = {}
        for labels, sample in current:
            groups.setdefault(expr.group_key(labels), []).append(sample.value)
        combine = AGGREGATIONS[expr.aggregation]
        return [Series(key, (Sample(at, combine(values)),)) for key, values in sorted(groups.items())]


def _latest(samples: list[Sample], at: float) -> Sample | None:
    import bisect

    index = bisect.bisect_right([s.timestamp for s in samples], at) - 1
    if index < 0:
        return None
    sample = samples[index]
    return sample if at - sample.timestamp < LOOKBACK else None


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(\{{.*\}})?\s+(\S+)(?:\s+(\S+))?(?:\s+#.*)?$")


def _parse_sample_line(line: str) -> tuple[Labels, Sample]:
    match = _SAMPLE.match(line.strip())
    if not match:
        raise ValueError(f"not an OpenMetrics sample: {line[:80]!r}")
    name, label_text, value_text, ts_text = match.groups()
    labels = dict(_parse_labels(label_text[1:-1]) if label_text else {})
    labels["__name__"] = name
    if ts_text is None:
        raise ValueError(f"sample of {name} has no timestamp; a snapshot must place every sample "
                         "in time")
    try:
        value = float(value_text)
        timestamp = float(ts_text)
    except ValueError:
        raise ValueError(f"bad value or timestamp in {line[:80]!r}") from None
    if not plausible_timestamp(timestamp):
        raise ValueError(f"timestamp {ts_text[:40]!r} is not a time (Unix seconds between 1970 and "
                         f"9999) in {line[:80]!r}")
    return labels_of(labels), Sample(timestamp, value)


def _parse_labels(text: str) -> Iterator[tuple[str, str]]:
    pos = 0
    while pos < len(text):
        match = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"').match(text, pos)
        if not match:
            if text[pos:].strip(" ,") == "":
                return
            raise ValueError(f"bad label set {{{text[:60]}}}")
        value, pos = _quoted(text, match.end(), '"')
        yield match.group(1), value
        rest = re.compile(r"\s*,?").match(text, pos)
        pos = rest.end() if rest else pos


def _quoted(text: str, pos: int, quote: str) -> tuple[str, int]:
    """Read an escaped string whose opening quote ends just before ``pos``."""
    out: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text):
            nxt = text[pos + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            pos += 2
            continue
        if ch == quote:
            return "".join(out), pos + 1
        out.append(ch)
        pos += 1
    raise ValueError("unterminated string")


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


_UNSUPPORTED_HINT = ("a snapshot answers selectors (name{label=\"v\"}), optionally inside sum/min/max/"
                     "avg/count [by|without (...)]; record anything else as a series (a recording "
                     "rule) or save the query's API answer as query-API JSON")


def parse_query(query: str, location: str) -> SnapshotQuery:
    try:
        return _QueryParser(query).parse()
    except ValueError as exc:
        raise SourceError(f"{location} cannot answer `{query}`: {exc}; {_UNSUPPORTED_HINT}") from None


class _QueryParser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def parse(self) -> SnapshotQuery:
        aggregation = None
        grouping: tuple[str, ...] = ()
        without = False
        word = self._peek_word()
        if word in AGGREGATIONS:
            self._word()
            aggregation = word
            if self._peek_word() in ("by", "without"):
                without, grouping = self._grouping()
            self._expect("(")
            matchers = self._selector()
            self._expect(")")
            if not grouping and self._peek_word() in ("by", "without"):
                without, grouping = self._grouping()
        else:
            matchers = self._selector()
        self._space()
        if self.pos != len(self.text):
            raise ValueError(f"unexpected {self.text[self.pos:self.pos + 20]!r}")
        return SnapshotQuery(matchers, aggregation, grouping, without)

    def _selector(self) -> tuple[LabelMatcher, ...]:
        matchers: list[LabelMatcher] = []
        self._space()
        name = self._name_or_none()
        if name:
            self._space()
            if self.text.startswith("(", self.pos):
                raise ValueError(f"function {name}()")
            matchers.append(LabelMatcher("__name__", "=", name))
        self._space()
        if self.text.startswith("{", self.pos):
            self.pos += 1
            while True:
                self._space()
                if self.text.startswith("}", self.pos):
                    self.pos += 1
                    break
                label = self._name_or_none()
                if not label:
                    raise ValueError("expected a label name")
                self._space()
                op_match = re.compile(r"=~|!~|!=|=").match(self.text, self.pos)
                if not op_match:
                    raise ValueError(f"expected =, !=, =~ or !~ after {label}")
                self.pos = op_match.end()
                self._space()
                quote = self.text[self.pos:self.pos + 1]
                if quote not in ('"', "'", "`"):
                    raise ValueError(f"expected a quoted value for {label}")
                value, self.pos = _quoted(self.text, self.pos + 1, quote)
                matchers.append(LabelMatcher(label, op_match.group(0), value))
                self._space()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
        if not matchers:
            raise ValueError("expected a metric selector")
        self._space()
        if self.text.startswith("[", self.pos):
            raise ValueError("range selectors ([5m]) need a function")
        return tuple(matchers)

    def _grouping(self) -> tuple[bool, tuple[str, ...]]:
        without = self._word() == "without"
        self._expect("(")
        labels: list[str] = []
        while True:
            self._space()
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return without, tuple(labels)
            label = self._name_or_none()
            if not label:
                raise ValueError("expected a label name in by/without")
            labels.append(label)
            self._space()
            if self.text.startswith(",", self.pos):
                self.pos += 1

    def _space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _name_or_none(self) -> str:
        match = re.compile(_NAME).match(self.text, self.pos)
        if not match:
            return ""
        self.pos = match.end()
        return match.group(0)

    def _peek_word(self) -> str:
        self._space()
        match = re.compile(r"[a-zA-Z_]+").match(self.text, self.pos)
        return match.group(0) if match else ""

    def _word(self) -> str:
        self._space()
        return self._name_or_none()

    def _expect(self, token: str) -> None:
        self._space()
        if not self.text.startswith(token, self.pos):
            raise ValueError(f"expected {token!r} at {self.text[self.pos:self.pos + 20]!r}")
        self.pos += len(token)


# ---------------------------------------------------------------- query-API JSON


@dataclass(frozen=True)
class _SavedAnswer:
    query: str
    response: Any


class QueryApiSnapshot(MetricsSource):
    offline = True

    def __init__(self, answers: list[_SavedAnswer], captured_at: float, location: str):
        self.answers = answers
        self.captured_at = captured_at
        self.location = location

    @classmethod
    def parse(cls, text: str, location: str) -> QueryApiSnapshot:
        import json

        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SourceError(f"{location}: malformed JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("queries"), list):
            raise SourceError(f"{location}: expected {{\"queries\": [{{\"query\": ..., \"response\": "
                              "...}}]}}: a saved API answer must say which query it answers")
        answers = []
        for index, entry in enumerate(data["queries"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("query"), str) \
                    or "response" not in entry:
                raise SourceError(f"{location}: queries[{index}] needs 'query' and 'response'")
            answers.append(_SavedAnswer(_normal(entry["query"]), entry["response"]))
        captured = _epoch(data.get("captured_at"))
        if captured is None and data.get("captured_at") is not None:
            # Present but unreadable: falling back to the newest sample would hide the mistake.
            raise SourceError(f"{location}: captured_at {str(data['captured_at'])[:40]!r} is not a time "
                              "(write an ISO 8601 time such as 2024-06-03T12:00:00Z)")
        if captured is None:
            captured = _newest_timestamp(answers)
        if captured is None:
            raise SourceError(f"{location}: no captured_at and no sample to date the snapshot by")
        return cls(answers, captured, location)

    def now(self) -> float:
        return self.captured_at

    def _answer(self, query: str, want: str) -> QueryResult:
        wanted = _normal(query)
        for answer in self.answers:
            if answer.query == wanted:
                result = parse_query_response(answer.response, query, self.captured_at, self.location)
                if want == "matrix" and result.result_type != "matrix":
                    raise SourceError(f"{self.location} holds an instant answer for `{query}` but the "
                                      "objective has a window: save a query_range answer")
                if want == "vector" and result.result_type == "matrix":
                    raise SourceError(f"{self.location} holds a range answer for `{query}` but the "
                                      "objective is instant: give it a window or save a query answer")
                return result
        raise SourceError(f"{self.location} has no saved answer for `{query}` "
                          f"({len(self.answers)} queries saved; the text must match)")

    def instant(self, query: str, at: float) -> QueryResult:
        return self._answer(query, "vector")

    def range(self, query: str, start: float, end: float, step: float) -> QueryResult:
        result = self._answer(query, "matrix")
        kept = tuple(Series(s.labels, tuple(p for p in s.samples if start <= p.timestamp <= end))
                     for s in result.series)
        return QueryResult(result.query, "matrix", tuple(s for s in kept if s.samples), end,
                           self.location, result.warnings)


def _normal(query: str) -> str:
    """The query without whitespace outside quoted strings: PromQL ignores it there."""
    out: list[str] = []
    quote = ""
    escaped = False
    for ch in query:
        if quote:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
            out.append(ch)
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)


def _epoch(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if plausible_timestamp(float(value)) else None
    if isinstance(value, str):
        from datetime import datetime

        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None


def _newest_timestamp(answers: list[_SavedAnswer]) -> float | None:
    newest: float | None = None
    for answer in answers:
        try:
            data = answer.response["data"]
            items = data["result"]
            if data["resultType"] == "scalar":
                items = [{"value": items}]
            for item in items:
                for pair in item.get("values") or [item.get("value")]:
                    stamp = float(pair[0])
                    newest = stamp if newest is None else max(newest, stamp)
        except (KeyError, TypeError, ValueError, IndexError):
            continue
    return newest
