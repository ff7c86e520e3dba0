"""Metrics from a live Prometheus HTTP API (``/api/v1/query`` and ``/api/v1/query_range``).

One implementation of ``prepctl.sources.metrics.interface.MetricsSource``; the snapshots in
``prepctl.sources.metrics.snapshot`` are the other.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from prepctl.sources.http import HttpSource, SourceError
from prepctl.sources.metrics.interface import MetricsSource, QueryResult
from prepctl.sources.metrics.query_api import parse_query_response


class PrometheusAPI(HttpSource, MetricsSource):
    """A live Prometheus (or anything speaking its query API: Thanos, Mimir, VictoriaMetrics)."""

    what = "Prometheus"

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
        params = {"g0.expr": query, "g0.tab": "0" if window else "1"}
        if window:
            params["g0.range_input"] = f"{int(window)}s"
        return f"{self.location}/graph?{urllib.parse.urlencode(params)}"

    def _post(self, path: str, form: dict[str, str]) -> Any:
        # POST keeps long PromQL out of URLs (and out of proxies' access logs).
        data, _ = self.post_json(path, form=form)
        return data


def _ts(seconds: float) -> str:
    return f"{seconds:.3f}"
