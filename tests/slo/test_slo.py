"""The `slo` gate against a real Prometheus (Debian's package) loaded with deterministic data."""

from __future__ import annotations

import pytest

from prepctl.verdicts import Status
from tests.support.live_servers import (
    EXAMPLE_SNAPSHOT,
    HISTOGRAMS,
    PrometheusServer,
    evidence_text,
    expected_quantile,
    only_criterion,
    run_gate,
    slo,
    write_live_plan,
)


def p95_query(service: str) -> str:
    return (f'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket'
            f'{{service="{service}"}}[5m])))')


P95 = {service: expected_quantile(0.95, buckets) for service, buckets in HISTOGRAMS.items()}


def prom_sources(server: PrometheusServer) -> dict:
    return {"prometheus": {"url": server.url}, "http": {"timeout": 10, "retries": 1, "backoff": 0.05}}


def test_the_data_is_what_the_tests_assume(prometheus_server):
    # Guards the other tests: if the backfill went wrong they would test nothing.
    answer = prometheus_server.query(p95_query("prep-api"))
    value = float(answer["data"]["result"][0]["value"][1])
    assert value == pytest.approx(P95["prep-api"], rel=1e-6)
    assert P95["analytics-api"] / P95["prep-api"] < 1.10 < P95["analytics-api-slow"] / P95["prep-api"]


@pytest.mark.parametrize(("threshold", "status"), [(1.05, Status.PASS), (0.95, Status.FAIL)])
def test_p95_latency_passes_below_and_fails_above_its_threshold(prometheus_server, tmp_path, threshold,
                                                                status):
    limit = round(P95["prep-api"] * threshold, 4)
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "p95", "query": p95_query("prep-api"), "pass": f"<= {limit}"}])])
    result = only_criterion(path)
    assert result.status is status, result.verdict.summary
    shown = [e for e in result.verdict.evidence if e.label.startswith("p95 at ")]
    assert shown and shown[0].value == pytest.approx(P95["prep-api"], rel=1e-5)
    assert shown[0].expected == f"pass if <= {limit:g}"
    query = result.verdict.evidence[0]
    assert query.value == p95_query("prep-api")
    assert query.url.startswith(prometheus_server.url + "/graph?g0.expr=")
    assert "Prometheus at 20" in query.label  # the evaluation time, ISO


def test_window_objective_aggregates_over_the_range(prometheus_server, tmp_path):
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "p95-max", "query": p95_query("prep-api"), "window": "30m", "step": "1m",
         "aggregate": "max", "pass": "< 0.5"},
        {"name": "p95-p99", "query": p95_query("prep-api"), "window": "30m", "aggregate": "p99",
         "pass": "< 0.4"}])])
    result = only_criterion(path)
    assert result.status is Status.FAIL  # p99 of a flat 0.48 is 0.48, above 0.4
    text = evidence_text(result)
    assert "max over 30m (step 1m)" in text and "p99 over 30m (step 30s)" in text
    values = {e.label.split(" at ")[0]: e.value for e in result.verdict.evidence if " at 20" in e.label}
    assert values["p95-max"] == pytest.approx(P95["prep-api"], rel=1e-5)
    assert values["p95-p99"] == pytest.approx(P95["prep-api"], rel=1e-5)
    assert "p95-p99 = 0.480263 -> fail" in result.verdict.summary
    assert "p95-max" not in result.verdict.summary  # it passed; the summary names what failed


def test_warn_between_pass_and_fail(prometheus_server, tmp_path):
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "steady", "query": 'test_latency_seconds{service="steady"}', "pass": "< 0.2",
         "warn": "< 0.5"}])])
    result = only_criterion(path)
    assert result.status is Status.WARN
    assert "warn if < 0.5" in evidence_text(result)


def test_relative_to_a_captured_baseline(prometheus_server, tmp_path, cli):
    objectives_new = [
        {"name": "new-p95", "query": p95_query("analytics-api"), "pass": "<=+10%", "baseline": "base/latency"},
        {"name": "slow-p95", "query": p95_query("analytics-api-slow"), "pass": "<= baseline * 1.10",
         "baseline": "base/latency"},
    ]
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), phases=[
        {"id": "base", "criteria": [slo([{"name": "latency", "query": p95_query("prep-api"),
                                          "pass": "< 1"}])]},
        {"id": "new", "depends_on": ["base"], "criteria": [slo(objectives_new)]},
    ])
    before = only_criterion(path, "new")
    assert before.status is Status.ERROR
    assert "no baseline 'base'" in before.verdict.summary

    captured = cli("-c", path, "baseline", "capture", "base")
    assert captured.code == 0, captured.stderr
    assert "latency = 0.48" in captured.stdout
    assert (tmp_path / "baselines" / "base.json").is_file()

    result = run_gate(path, "new").criteria[0]
    assert result.status is Status.FAIL
    # Only the failing objective makes the summary; each objective's value is in the evidence.
    assert "slow-p95 = 0.884615 -> fail" in result.verdict.summary
    assert "new-p95" not in result.verdict.summary
    values = {e.label.split(" at ")[0]: e for e in result.verdict.evidence if " at 20" in e.label}
    base = P95["prep-api"]
    assert values["new-p95"].value == pytest.approx(P95["analytics-api"], rel=1e-5)
    assert values["new-p95"].expected == f"pass if <= {base * 1.1:.6g} (baseline {base:.6g} +10%)"
    assert values["slow-p95"].expected == f"pass if <= {base * 1.1:.6g} (baseline {base:.6g} * 1.1)"
    assert "baseline base/latency captured" in evidence_text(result)

    only_new = write_live_plan(tmp_path, prom_sources(prometheus_server), phases=[
        {"id": "base", "criteria": [slo([{"name": "latency", "query": p95_query("prep-api"),
                                          "pass": "< 1"}])]},
        {"id": "new", "depends_on": ["base"], "criteria": [slo(objectives_new[:1])]},
    ])
    assert only_criterion(only_new, "new").status is Status.PASS


def test_empty_result_is_an_error_never_a_pass(prometheus_server, tmp_path):
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "missing", "query": 'no_such_metric{service="prep-api"}', "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "empty result" in result.verdict.summary


def test_nan_is_an_error_and_on_no_data_says_otherwise(prometheus_server, tmp_path):
    objective = {"name": "ratio", "query": 'test_ratio{kind="nan"}', "pass": "< 1"}
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([objective])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "NaN" in result.verdict.summary

    path = write_live_plan(tmp_path, prom_sources(prometheus_server),
                           criteria=[slo([{**objective, "on_no_data": "warn"}])])
    result = only_criterion(path)
    assert result.status is Status.WARN
    assert "no data (value is NaN); on_no_data: warn" in evidence_text(result)


def test_infinity_is_an_error_even_with_on_no_data(prometheus_server, tmp_path):
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "ratio", "query": 'test_ratio{kind="inf"}', "pass": "> 0", "on_no_data": "pass"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "Inf" in result.verdict.summary


def test_a_stale_series_is_an_error(prometheus_server, tmp_path):
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "gone-window", "query": "test_stale_seconds", "window": "2h", "aggregate": "max",
         "max_staleness": "10m", "pass": "< 1"},
        {"name": "gone-now", "query": "test_stale_seconds", "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    text = result.verdict.summary
    assert "gone-window" in text and "stale: newest point is" in text
    assert "gone-now: the query returned no series" in text


def test_a_rejected_query_is_an_error(prometheus_server, tmp_path):
    # Malformed PromQL (`sum(rate(x[5m]`) no longer reaches the server: `validate` refuses it
    # (tests/sources/test_prometheus_fidelity.py). A query that parses but that Prometheus refuses
    # when it runs it (a bad regex inside label_replace, which no parser checks) still must be error.
    query = 'label_replace(up, "a", "$1", "job", "(")'
    path = write_live_plan(tmp_path, prom_sources(prometheus_server), criteria=[slo([
        {"name": "typo", "query": query, "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "invalid regular expression in label_replace" in result.verdict.summary, result.verdict.summary


def test_the_snapshot_answers_like_the_real_prometheus(prometheus_server, tmp_path):
    """The example's objectives give the same numbers from the file as from a Prometheus the
    same file was backfilled into: the offline evaluator follows PromQL's semantics."""
    from prepctl.plan.sources import HttpSettings
    from prepctl.slo.measure import measure
    from prepctl.slo.objectives import SloSpec
    from prepctl.sources.http import HttpClient
    from prepctl.sources.metrics.prometheus import PrometheusAPI
    from prepctl.sources.metrics.snapshot import load_snapshot

    snapshot = load_snapshot(EXAMPLE_SNAPSHOT.parent, EXAMPLE_SNAPSHOT.name)
    live = PrometheusAPI(HttpClient(HttpSettings()), prometheus_server.url)
    spec = SloSpec.model_validate({"id": "x", "kind": "slo", "title": "x", "objectives": [
        {"name": "max", "query": 'service:http_request_duration_seconds:p95{service="prep-api"}',
         "window": "1h", "aggregate": "max", "pass": "< 1"},
        {"name": "avg", "query": 'avg(service:http_requests:error_ratio)', "window": "90m",
         "step": "5m", "aggregate": "avg", "pass": "< 1"},
        {"name": "p90", "query": 'max by (service) (service:http_request_duration_seconds:p95)',
         "window": "1h", "aggregate": "p90", "pass": "< 1"},
        {"name": "instant", "query": 'sum without (route) (service:http_requests:error_ratio)', "pass": "< 1"},
    ]})
    end = snapshot.now()
    for objective in spec.objectives:
        offline = measure(spec, objective, snapshot)
        online = measure(spec, objective, live, at=end + prometheus_server.snapshot_offset)
        assert len(offline.series) == len(online.series) >= 1, objective.name
        for mine, theirs in zip(offline.series, online.series, strict=True):
            assert dict(mine.labels) == dict(theirs.labels), objective.name
            assert mine.value == pytest.approx(theirs.value, rel=1e-9), objective.name
            assert mine.points == theirs.points, objective.name
