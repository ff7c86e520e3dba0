"""Faults of live sources: each must end in `error` (never `pass`), with the reason and no traceback.

A local HTTP server (pytest-httpserver) stands in for a misbehaving Prometheus; a closed port
stands in for one that is down.
"""

from __future__ import annotations

import json
import time

import pytest
from werkzeug import Response

from prepctl.verdicts import Status
from tests.support.live_servers import free_port, only_criterion, slo, write_live_plan

FAST = {"timeout": 0.5, "retries": 2, "backoff": 0.01, "budget": 20}
#: "NOW" stands for the time the query asked for: a real Prometheus stamps instant answers there,
#: and prepctl refuses an answer stamped elsewhere (see test_servers_metrics for those).
VECTOR_OK = {"status": "success", "data": {"resultType": "vector",
                                           "result": [{"metric": {"job": "x"}, "value": ["NOW", "0.2"]}]}}


def stamped(body: object):
    """A handler answering ``body`` with every "NOW" replaced by the query's ``time``."""
    def answer(request):
        text = json.dumps(body).replace('"NOW"', request.form.get("time", "0"))
        return Response(text, content_type="application/json")
    return answer


def plan_for(tmp_path, url: str, objective: dict | None = None, http: dict | None = None):
    objective = objective or {"name": "latency", "query": "latency_seconds", "pass": "< 1"}
    return write_live_plan(tmp_path, {"prometheus": {"url": url}, "http": http or FAST},
                           criteria=[slo([objective])])


def gate(tmp_path, url: str, **kwargs):
    return only_criterion(plan_for(tmp_path, url, **kwargs))


def test_the_stand_in_passes_when_healthy(httpserver, tmp_path):
    # The control for every fault below: the same plan against a healthy answer passes.
    httpserver.expect_request("/api/v1/query", method="POST").respond_with_handler(stamped(VECTOR_OK))
    assert gate(tmp_path, httpserver.url_for("")).status is Status.PASS


def test_server_down(tmp_path):
    result = gate(tmp_path, f"http://127.0.0.1:{free_port()}")
    assert result.status is Status.ERROR
    assert "cannot connect" in result.verdict.summary
    assert "gave up after 3 attempts" in result.verdict.summary


def test_timeout(httpserver, tmp_path):
    def slow(request):
        time.sleep(1.5)
        return stamped(VECTOR_OK)(request)

    httpserver.expect_request("/api/v1/query").respond_with_handler(slow)
    result = gate(tmp_path, httpserver.url_for(""), http={**FAST, "retries": 0, "timeout": 0.3})
    assert result.status is Status.ERROR
    assert "(timeout)" in result.verdict.summary
    # Let the slow handler finish, so its late log entry does not land in the next test's log.
    deadline = time.monotonic() + 10
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)


def test_http_500_is_retried_then_an_error(httpserver, tmp_path):
    httpserver.expect_request("/api/v1/query").respond_with_data("upstream exploded", status=500)
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is Status.ERROR
    assert "HTTP 500" in result.verdict.summary and "upstream exploded" in result.verdict.summary
    assert len(httpserver.log) == 3  # the first try and FAST's 2 retries


def test_http_500_then_success_recovers(httpserver, tmp_path):
    httpserver.expect_ordered_request("/api/v1/query").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/api/v1/query").respond_with_handler(stamped(VECTOR_OK))
    assert gate(tmp_path, httpserver.url_for("")).status is Status.PASS
    assert len(httpserver.log) == 2


def test_malformed_json(httpserver, tmp_path):
    httpserver.expect_request("/api/v1/query").respond_with_data('{"status": "success", "data": {',
                                                                   content_type="application/json")
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is Status.ERROR
    assert "malformed JSON" in result.verdict.summary


@pytest.mark.parametrize(("body", "reason"), [
    (None, "answered null"),
    ({"status": "success"}, "without data.resultType"),
    ({"status": "success", "data": {"resultType": "vector", "result": []}}, "empty result"),
    ({"status": "success", "data": {"resultType": "matrix", "result": []}}, "empty result"),
    ({"status": "success", "data": {"resultType": "vector",
                                    "result": [{"metric": {}, "value": ["NOW", "NaN"]}]}}, "NaN"),
    ({"status": "success", "data": {"resultType": "vector",
                                    "result": [{"metric": {}, "value": ["NOW", None]}]}}, "not a number"),
    ({"status": "success", "data": {"resultType": "string", "result": [1700000000, "hi"]}}, "returned a string"),
    ({"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}, "parse error"),
])
def test_odd_answers_are_errors(httpserver, tmp_path, body, reason):
    httpserver.expect_request("/api/v1/query").respond_with_handler(stamped(body))
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is Status.ERROR, result.verdict.summary
    assert reason in result.verdict.summary


def test_a_400_is_not_retried(httpserver, tmp_path):
    httpserver.expect_request("/api/v1/query").respond_with_json(
        {"status": "error", "errorType": "bad_data", "error": "1:5: parse error"}, status=400)
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is Status.ERROR
    assert "HTTP 400" in result.verdict.summary and "parse error" in result.verdict.summary
    assert len(httpserver.log) == 1


def test_one_broken_objective_does_not_hide_a_failing_one(httpserver, tmp_path):
    def answer(request):
        query = request.form["query"]
        if query == "broken":
            return Response("nope", status=500)
        return stamped({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "value": ["NOW", "5"]}]}})(request)

    httpserver.expect_request("/api/v1/query").respond_with_handler(answer)
    path = write_live_plan(tmp_path, {"prometheus": {"url": httpserver.url_for("")}, "http": FAST},
                           criteria=[slo([{"name": "broken", "query": "broken", "pass": "< 1"},
                                          {"name": "high", "query": "high", "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.FAIL  # fail outranks error: we know enough to block
    assert "high = 5 -> fail" in result.verdict.summary
    assert any("broken" in e.label and "HTTP 500" in e.label for e in result.verdict.evidence)


def test_no_prometheus_configured_is_an_error(tmp_path):
    path = write_live_plan(tmp_path, {}, criteria=[slo([{"name": "x", "query": "x", "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "no Prometheus configured" in result.verdict.summary


def test_cli_shows_the_error_without_a_traceback(cli, tmp_path):
    path = plan_for(tmp_path, f"http://127.0.0.1:{free_port()}")
    for fmt in ("table", "json"):
        result = cli("-c", path, "gate", "p", "--format", fmt)
        assert result.code == 2
        assert "Traceback" not in result.stdout + result.stderr
        assert "cannot connect" in result.stdout
    data = json.loads(cli("-c", path, "gate", "p", "--format", "json").stdout)
    assert data["criteria"][0]["status"] == "error"


@pytest.mark.live
def test_the_criteria_of_a_phase_fetch_concurrently(tmp_path):
    """Each request waits until the other criterion's request has arrived too: run one after the
    other, the first would wait alone, the barrier would break and both would be errors."""
    import threading

    from pytest_httpserver import HTTPServer

    from tests.support.live_servers import run_gate

    barrier = threading.Barrier(2, timeout=10)

    def answer(request):
        barrier.wait()
        return stamped(VECTOR_OK)(request)

    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    server.expect_request("/api/v1/query").respond_with_handler(answer)
    server.start()
    try:
        path = write_live_plan(tmp_path, {"prometheus": {"url": server.url_for("")},
                                          "http": {"timeout": 20, "retries": 0}},
                               criteria=[slo([{"name": "a", "query": "a", "pass": "< 1"}], id="first"),
                                         slo([{"name": "b", "query": "b", "pass": "< 1"}], id="second")])
        result = run_gate(path)
    finally:
        server.clear()
        server.stop()
    assert [c.status for c in result.criteria] == [Status.PASS, Status.PASS], \
        [c.verdict.summary for c in result.criteria]


# ---------------------------------------------------------------- time sanity (issue 12, defect 1)

DAY = 86400.0


def answer_at(kind: str, offsets: list[float], value: str = "0.2"):
    """A handler answering a vector (one sample) or matrix stamped at the asked time + offsets."""
    def answer(request):
        at = float(request.form.get("time") or request.form["end"])
        stamps = [at + o for o in offsets]
        item = {"metric": {"job": "x"}}
        if kind == "vector":
            item["value"] = [stamps[0], value]
        else:
            item["values"] = [[t, value] for t in stamps]
        body = {"status": "success", "data": {"resultType": kind, "result": [item]}}
        return Response(json.dumps(body), content_type="application/json")
    return answer


WINDOW = {"name": "latency", "query": "latency_seconds", "window": "1h", "aggregate": "max", "pass": "< 1"}


@pytest.mark.parametrize(("objective", "kind", "offsets", "reason"), [
    pytest.param(None, "vector", [DAY], "is in the future", id="instant-a-day-ahead"),
    pytest.param(None, "vector", [60], "is in the future", id="instant-a-minute-ahead"),
    pytest.param(None, "vector", [-DAY], "is 1d before the instant query time", id="instant-a-day-old"),
    pytest.param(None, "vector", [-20 * 60], "20m before the instant query time", id="instant-past-staleness"),
    pytest.param(WINDOW, "matrix", [-600, -300, DAY], "is in the future", id="window-a-day-ahead"),
    pytest.param(WINDOW, "matrix", [-2 * 3600, -60], "before the start of the queried range",
                 id="window-points-before-the-range"),
])
def test_samples_from_the_wrong_time_are_errors(httpserver, tmp_path, objective, kind, offsets, reason):
    path = "/api/v1/query" if kind == "vector" else "/api/v1/query_range"
    httpserver.expect_request(path).respond_with_handler(answer_at(kind, offsets))
    result = gate(tmp_path, httpserver.url_for(""), objective=objective)
    assert result.status is Status.ERROR, result.verdict.summary
    assert reason in result.verdict.summary
    assert "sample stamped 20" in result.verdict.summary  # the offending time, ISO 8601


def test_on_no_data_does_not_excuse_a_future_sample(httpserver, tmp_path):
    httpserver.expect_request("/api/v1/query").respond_with_handler(answer_at("vector", [DAY]))
    objective = {"name": "latency", "query": "latency_seconds", "pass": "< 1", "on_no_data": "pass"}
    assert gate(tmp_path, httpserver.url_for(""), objective=objective).status is Status.ERROR


def test_the_1970_sample_names_its_date(httpserver, tmp_path):
    body = {"status": "success", "data": {"resultType": "vector",
                                          "result": [{"metric": {}, "value": [0, "0.2"]}]}}
    httpserver.expect_request("/api/v1/query").respond_with_json(body)
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is Status.ERROR
    assert "sample stamped 1970-01-01T00:00:00Z" in result.verdict.summary


@pytest.mark.parametrize("offsets", [[0], [3], [-9 * 60]], ids=["on-time", "within-skew", "within-staleness"])
def test_samples_at_plausible_times_pass(httpserver, tmp_path, offsets):
    # The controls for the cases above: the edges that are still fine.
    httpserver.expect_request("/api/v1/query").respond_with_handler(answer_at("vector", offsets))
    assert gate(tmp_path, httpserver.url_for("")).status is Status.PASS


@pytest.mark.parametrize("on_no_data", [None, "pass"])
def test_a_window_answer_covering_only_its_end_is_an_error(httpserver, tmp_path, on_no_data):
    # The series starts 5 min before the end of a 1 h window: 55 min are unknown, not "within limits".
    httpserver.expect_request("/api/v1/query_range").respond_with_handler(
        answer_at("matrix", [-300, -240, -180, -120, -60, 0]))
    objective = {**WINDOW, **({"on_no_data": on_no_data} if on_no_data else {})}
    result = gate(tmp_path, httpserver.url_for(""), objective=objective)
    assert result.status is Status.ERROR, result.verdict.summary
    assert "insufficient data" in result.verdict.summary
    assert "covers only the last 5m of the 1h window" in result.verdict.summary


def test_a_window_inside_its_range_passes(httpserver, tmp_path):
    # A point every step (60 s for 1 h), one of them missing: a scrape gap, still the whole window.
    offsets = [o for o in range(-3600, 1, 60) if o != -1800]
    httpserver.expect_request("/api/v1/query_range").respond_with_handler(answer_at("matrix", offsets))
    assert gate(tmp_path, httpserver.url_for(""), objective=WINDOW).status is Status.PASS


@pytest.mark.parametrize(("hole", "shown"), [((-2400, -600), "30m"), ((-1800, -1620), "3m")])
def test_a_window_answer_with_a_hole_inside_is_an_error(httpserver, tmp_path, hole, shown):
    # Points at the start and the end, none for a stretch between: the maximum may have been
    # there. Before this, only the start of the window was checked, and this passed.
    offsets = [o for o in range(-3600, 1, 60) if not hole[0] < o < hole[1]]
    httpserver.expect_request("/api/v1/query_range").respond_with_handler(answer_at("matrix", offsets))
    result = gate(tmp_path, httpserver.url_for(""), objective={**WINDOW, "on_no_data": "pass"})
    assert result.status is Status.ERROR, result.verdict.summary
    assert f"insufficient data: no points for {shown} inside the 1h window" in result.verdict.summary


@pytest.mark.parametrize(("stamp", "reason"), [
    ("NaN", "timestamp 'NaN' is not a time"),
    ("+Inf", "timestamp '+Inf' is not a time"),
    (1e300, "timestamp 1e+300 is not a time"),
    (-5, "timestamp -5 is not a time"),
    ("soon", "timestamp is not a number"),
    (None, "timestamp is not a number"),
])
def test_timestamps_that_are_not_times_are_errors(httpserver, tmp_path, stamp, reason):
    body = {"status": "success", "data": {"resultType": "vector",
                                          "result": [{"metric": {}, "value": [stamp, "0.2"]}]}}
    httpserver.expect_request("/api/v1/query").respond_with_json(body)
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is Status.ERROR
    assert reason in result.verdict.summary
    assert "while checking" not in result.verdict.summary  # not a raw exception text


@pytest.mark.parametrize(("offsets", "values", "reason"), [
    # Newest first: read in the order sent, `last` would be the old 0.2, not the newest 5.
    ([0, -60], ["5", "0.2"], "samples out of time order"),
    ([-60, 0, 0], ["0.2", "5", "0.2"], "two samples stamped"),
])
def test_window_points_out_of_order_are_errors(httpserver, tmp_path, offsets, values, reason):
    def answer(request):
        end = float(request.form["end"])
        item = {"metric": {}, "values": [[end + o, v] for o, v in zip(offsets, values, strict=True)]}
        return Response(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [item]}}),
                        content_type="application/json")

    httpserver.expect_request("/api/v1/query_range").respond_with_handler(answer)
    objective = {**WINDOW, "aggregate": "last"}
    result = gate(tmp_path, httpserver.url_for(""), objective=objective)
    assert result.status is Status.ERROR, result.verdict.summary
    assert reason in result.verdict.summary


@pytest.mark.parametrize("criterion", ["< 1e999", "<=+1e999%", "<= baseline * 1e400"])
def test_a_threshold_too_large_to_compare_is_a_config_error(tmp_path, cli, criterion):
    # float("1e999") is infinity, and every value is below it: the plan is refused instead.
    objective = {"name": "latency", "query": "latency_seconds", "pass": criterion}
    path = write_live_plan(tmp_path, {"prometheus": {"url": "http://127.0.0.1:9"}},
                           criteria=[slo([objective], baseline="phase-0")])
    result = cli("-c", path, "validate")
    assert result.code == 2, result.stdout + result.stderr
    assert "too large to compare" in result.stderr and f"{path}:" in result.stderr


@pytest.mark.parametrize(("warnings", "status"), [
    (["partial response: store 10.0.0.7:10901 unavailable"], Status.WARN),
    ("remote_read: context deadline exceeded", Status.WARN),  # a string, not a list: one warning
    ([], Status.PASS),
])
def test_a_pass_with_prometheus_warnings_is_only_a_warn(httpserver, tmp_path, warnings, status):
    # A store that did not answer may hold the series that fails: the pass is not certain.
    httpserver.expect_request("/api/v1/query").respond_with_handler(stamped({**VECTOR_OK, "warnings": warnings}))
    result = gate(tmp_path, httpserver.url_for(""))
    assert result.status is status, result.verdict.summary
    if warnings:
        assert "Prometheus warned, the answer may be partial" in result.verdict.summary
        shown = warnings if isinstance(warnings, list) else [warnings]
        assert any(w in e.value for e in result.verdict.evidence if "Prometheus warning" in e.label for w in shown)
