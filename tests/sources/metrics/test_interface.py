"""The metrics seam: the live Prometheus and both snapshot formats are one `MetricsSource`."""

from __future__ import annotations

import json

from prepctl.plan.sources import HttpSettings
from prepctl.sources.http import HttpClient
from prepctl.sources.metrics.interface import MetricsSource, QueryResult
from prepctl.sources.metrics.prometheus import PrometheusAPI
from prepctl.sources.metrics.snapshot import load_snapshot

OM = 'lat{svc="a"} 0.5 1060\n# EOF\n'
SAVED = {"captured_at": "1970-01-01T00:17:40Z", "queries": [{"query": 'lat{svc="a"}', "response": {
    "status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "lat", "svc": "a"}, "value": [1060, "0.5"]}]}}}]}


def test_snapshots_answer_the_same_question_the_same_way(tmp_path):
    (tmp_path / "snap.om").write_text(OM, encoding="utf-8")
    (tmp_path / "snap.json").write_text(json.dumps(SAVED), encoding="utf-8")
    answers = []
    for name in ("snap.om", "snap.json"):
        source = load_snapshot(tmp_path, name)
        assert isinstance(source, MetricsSource) and source.offline
        assert source.now() == 1060
        answer = source.instant('lat{svc="a"}', 1060)
        assert isinstance(answer, QueryResult)
        answers.append([(s.labels, [(p.timestamp, p.value) for p in s.samples]) for s in answer.series])
    assert answers[0] == answers[1] == [((("__name__", "lat"), ("svc", "a")), [(1060.0, 0.5)])]


def test_the_live_server_is_the_other_implementation():
    client = HttpClient(HttpSettings())
    try:
        live = PrometheusAPI(client, "https://prom.example/")
        assert isinstance(live, MetricsSource) and not live.offline
        assert live.location == "https://prom.example"
        assert live.graph_url("up", 3600) == ("https://prom.example/graph?g0.expr=up&g0.tab=0"
                                              "&g0.range_input=3600s")
    finally:
        client.close()
