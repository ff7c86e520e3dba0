"""Answers of the Prometheus query API (``/api/v1/query``, ``/api/v1/query_range``), checked and
turned into ``QueryResult``s. Shared by the live server and the query-API snapshot, which holds
saved answers of the same shape.
"""

from __future__ import annotations

import math
from typing import Any

from prepctl.sources.http import SourceError
from prepctl.sources.metrics.interface import QueryResult, Sample, Series
from prepctl.sources.metrics.labels import labels_of


def parse_query_response(data: Any, query: str, at: float, source: str) -> QueryResult:
    """Check a query-API answer's shape and turn it into a QueryResult; SourceError if odd."""
    what = f"Prometheus at {source}"
    if not isinstance(data, dict):
        raise SourceError(f"{what} answered {type(data).__name__ if data is not None else 'null'} "
                          "instead of a query result object")
    if data.get("status") != "success":
        reason = data.get("error") or "no reason given"
        raise SourceError(f"{what} rejected the query ({data.get('errorType', 'error')}): {reason}")
    if data.get("error") or data.get("errorType"):
        # "success" beside an error is a contradiction no Prometheus sends; a front-end that
        # merged a failed answer into a successful shape may hold partial or default data.
        raise SourceError(f"{what} answered status success together with an error "
                          f"({data.get('errorType') or 'error'}): {str(data.get('error'))[:200]}")
    body = data.get("data")
    if not isinstance(body, dict) or "resultType" not in body or "result" not in body:
        raise SourceError(f"{what} answered success without data.resultType/data.result")
    kind, result = body["resultType"], body["result"]
    raw_warnings = data.get("warnings") or []
    # A string here would otherwise be iterated letter by letter into one "warning" each.
    warnings = tuple(str(w) for w in (raw_warnings if isinstance(raw_warnings, list) else [raw_warnings]))
    if kind == "scalar":
        return QueryResult(query, kind, (Series((), (_sample(result, what),)),), at, source, warnings)
    if kind not in ("vector", "matrix"):
        raise SourceError(f"{what} returned a {kind}; an objective needs a number (vector, matrix "
                          "or scalar)")
    if not isinstance(result, list):
        raise SourceError(f"{what} returned a {kind} whose result is not a list")
    series: list[Series] = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("metric", {}), dict):
            raise SourceError(f"{what} returned a malformed {kind} element: {str(item)[:80]}")
        if "histogram" in item or "histograms" in item:
            raise SourceError(f"{what} returned native histogram samples; wrap the query in "
                              "histogram_quantile() or sum() to get a number")
        labels = labels_of(item.get("metric") or {})
        if kind == "vector":
            samples = (_sample(item.get("value"), what),)
        else:
            raw = item.get("values")
            if not isinstance(raw, list):
                raise SourceError(f"{what} returned a matrix element without values")
            samples = tuple(_sample(v, what) for v in raw)
        series.append(Series(labels, samples))
    return QueryResult(query, kind, tuple(series), at, source, warnings)


#: Latest timestamp taken as a time at all (9999-12-31): beyond it no date can be shown, and the
#: slo gate's window check would have nothing sensible to print.
LATEST_TIMESTAMP = 253402300799.0


def plausible_timestamp(stamp: float) -> bool:
    """Unix seconds between 1970 and 9999. "NaN", "Inf" and 1e300 parse as floats; none of
    them is a moment a sample was taken."""
    return math.isfinite(stamp) and 0 <= stamp <= LATEST_TIMESTAMP


def _sample(pair: Any, what: str) -> Sample:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise SourceError(f"{what} returned a malformed sample: {str(pair)[:80]}")
    try:
        stamp = _value(pair[0])
    except (TypeError, ValueError, OverflowError):
        raise SourceError(f"{what} returned a sample whose timestamp is not a number: "
                          f"{str(pair)[:80]}") from None
    if not plausible_timestamp(stamp):
        raise SourceError(f"{what} returned a sample whose timestamp {pair[0]!r} is not a time "
                          f"(Unix seconds between 0 and {LATEST_TIMESTAMP:.0f}): {str(pair)[:80]}")
    try:
        return Sample(stamp, _value(pair[1]))
    except (TypeError, ValueError, OverflowError):
        raise SourceError(f"{what} returned a sample that is not a number: {str(pair)[:80]}") from None


def _value(text: Any) -> float:
    # Prometheus sends values as strings: "0.42", "NaN", "+Inf", "-Inf".
    if isinstance(text, bool) or text is None:
        raise ValueError("not a number")
    return float(text)
