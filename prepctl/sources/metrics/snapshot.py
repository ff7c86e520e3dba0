"""Offline metrics: answer SLO queries from a file instead of a running Prometheus.

Two formats, told apart by their first character:

- **OpenMetrics text** (what ``promtool tsdb create-blocks-from openmetrics`` reads, so the
  same file can be loaded into a real Prometheus), read by ``prepctl.sources.metrics.openmetrics``.
  Every sample needs a timestamp and the file must end with ``# EOF``: a truncated snapshot is
  refused rather than half-read. Queries are a PromQL subset (selectors, optionally aggregated);
  recording-rule series are the natural thing to snapshot.
- **Query-API JSON**: answers saved from ``/api/v1/query`` or ``/api/v1/query_range``, wrapped
  with the query each one answers (found by the query's canonical form,
  ``prepctl.sources.metrics.promql.canonical``: label order and whitespace do not matter)::

      {"captured_at": "2024-06-03T12:00:00Z", "prometheus": "https://prom.example",
       "queries": [{"query": "...", "response": {"status": "success", "data": {...}}}]}

"Now" for a snapshot is when it was captured (``captured_at``, else its newest sample), so a
committed snapshot gives the same verdict next year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from prepctl.errors import PrepctlError
from prepctl.fileio import decode_utf8, read_regular_file
from prepctl.sources.http import SourceError
from prepctl.sources.metrics.interface import MetricsSource, QueryResult, Series
from prepctl.sources.metrics.openmetrics import OpenMetricsSnapshot, parse_query
from prepctl.sources.metrics.promql import canonical
from prepctl.sources.metrics.query_api import parse_query_response, plausible_timestamp

__all__ = ["MAX_SNAPSHOT_BYTES", "OpenMetricsSnapshot", "QueryApiSnapshot", "load_snapshot", "parse_query"]

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
            answers.append(_SavedAnswer(canonical(entry["query"]), entry["response"]))
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
        wanted = canonical(query)
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
                          f"({len(self.answers)} queries saved; the query must match up to label order and "
                          "whitespace)")

    def instant(self, query: str, at: float) -> QueryResult:
        return self._answer(query, "vector")

    def range(self, query: str, start: float, end: float, step: float) -> QueryResult:
        result = self._answer(query, "matrix")
        kept = tuple(Series(s.labels, tuple(p for p in s.samples if start <= p.timestamp <= end))
                     for s in result.series)
        return QueryResult(result.query, "matrix", tuple(s for s in kept if s.samples), end,
                           self.location, result.warnings)


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
