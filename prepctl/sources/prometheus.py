"""Metrics from the Prometheus HTTP API (``/api/v1/query`` and ``/api/v1/query_range``).

``MetricsSource`` is the seam: ``PrometheusAPI`` asks a live server, and
``prepctl.sources.metrics_snapshot`` answers the same questions from a file. Both return
``QueryResult``s with every value as a float, NaN and infinities included: deciding that NaN
means "no evidence" is the gate's job, and it must see them to do it.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prepctl.sources.http import Auth, SourceError, safe_url

if TYPE_CHECKING:
    from prepctl.sources.http import HttpClient

Labels = tuple[tuple[str, str], ...]


def labels_of(mapping: dict[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


def labels_text(labels: Labels) -> str:
    """PromQL-style `{a="1", b="2"}`; the metric name, when there, goes first without a key."""
    name = dict(labels).get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in labels if k != "__name__")
    return f"{name}{{{rest}}}" if rest or not name else name


@dataclass(frozen=True)
class Sample:
    timestamp: float  # Unix seconds
    value: float


@dataclass(frozen=True)
class Series:
    labels: Labels
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class QueryResult:
    """What a query returned, plus where and when, for the evidence."""

    query: str
    result_type: str  # vector, matrix or scalar
    series: tuple[Series, ...]
    evaluated_at: float  # the instant, or the end of the range
    source: str  # URL or file the answer came from
    warnings: tuple[str, ...] = field(default=())


class MetricsSource(ABC):
    """Something that answers PromQL: a Prometheus server or a snapshot file."""

    #: Shown in evidence: a URL (never with credentials) or a file.
    location: str
    #: True for a file captured earlier: its "now" is when it was captured.
    offline: bool = False

    @abstractmethod
    def now(self) -> float:
        """The time "now" stands for: the clock, or the end of a snapshot."""

    @abstractmethod
    def instant(self, query: str, at: float) -> QueryResult: ...

    @abstractmethod
    def range(self, query: str, start: float, end: float, step: float) -> QueryResult: ...

    def graph_url(self, query: str, window: float | None) -> str | None:
        """A link a reader can open to see the query; None for files."""
        return None


class PrometheusAPI(MetricsSource):
    """A live Prometheus (or anything speaking its query API: Thanos, Mimir, VictoriaMetrics)."""

    def __init__(self, client: HttpClient, base_url: str, auth: Auth | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.location = safe_url(self.base_url)
        self.auth = auth or Auth()

    def now(self) -> float:
        return time.time()

    def instant(self, query: str, at: float) -> QueryResult:
        data = self._post("/api/v1/query", {"query": query, "time": _ts(at)})
        return parse_query_response(data, query, at, self.location)

    def range(self, query: str, start: float, end: float, step: float) -> QueryResult:
        data = self._post("/api/v1/query_range",
                          {"query": query, "start": _ts(start), "end": _ts(end), "step": f"{step:g}"})
        result = parse_query_response(data, query, end, self.location)
        if result.result_type != "matrix":
            # A range query always answers a matrix. A vector or scalar here (a proxy or cache
            # that ran an instant query) is one point at `end`: a window's max over it would
            # pass on the last value while the window breached.
            raise SourceError(f"Prometheus at {self.location} answered a range query with a "
                              f"{result.result_type}, not a matrix: the window was not measured")
        return result

    def graph_url(self, query: str, window: float | None) -> str | None:
        import urllib.parse

        params = {"g0.expr": query, "g0.tab": "0" if window else "1"}
        if window:
            params["g0.range_input"] = f"{int(window)}s"
        return f"{self.location}/graph?{urllib.parse.urlencode(params)}"

    def _post(self, path: str, form: dict[str, str]) -> Any:
        # POST keeps long PromQL out of URLs (and out of proxies' access logs).
        data, _ = self.client.post_json(self.base_url + path, what="Prometheus", form=form, auth=self.auth)
        return data


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


def _ts(seconds: float) -> str:
    return f"{seconds:.3f}"


def is_finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))
