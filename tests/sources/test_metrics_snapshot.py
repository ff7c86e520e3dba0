"""The offline `file:` metrics source: OpenMetrics snapshots and saved query-API JSON."""

from __future__ import annotations

import json
import shutil

import pytest

from prepctl.evaluate import evaluate_criterion, make_context
from prepctl.sources.http import SourceError
from prepctl.sources.metrics.snapshot import load_snapshot, parse_query
from prepctl.verdicts import Status
from tests.support.live_servers import EXAMPLE_SNAPSHOT, evidence_text, only_criterion, slo, write_live_plan
from tests.support.paths import PHASES
from tests.support.plans import load_plan

OM = """\
# TYPE lat gauge
lat{svc="a",zone="x"} 0.1 1000
lat{svc="a",zone="x"} 0.3 1060
lat{svc="a",zone="y"} 0.5 1060
lat{svc="b",zone="x"} 0.9 1060
# TYPE old gauge
old{svc="a"} 1 500
# EOF
"""


def snapshot_plan(tmp_path, text: str, objectives: list[dict], name: str = "snap.om"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return write_live_plan(tmp_path, {"prometheus": {"url": f"file:{name}"}}, criteria=[slo(objectives)])


def test_the_example_phase0_slos_pass_from_the_committed_snapshot(monkeypatch):
    monkeypatch.delenv("PREPCTL_PROMETHEUS_URL", raising=False)
    plan = load_plan(PHASES)
    phase = plan.phase("phase-0")
    spec = next(c for c in phase.criteria if c.kind == "slo")
    result = evaluate_criterion(spec, phase, make_context(plan))
    assert result.status is Status.PASS, result.verdict.summary
    text = evidence_text(result)
    assert "snapshot at 2024-06-03T12:00:00Z" in text
    assert "analytics-latency-p95{route=\"analytics\", service=\"prep-api\"}" in text
    assert all(e.path == "monitoring/prometheus-snapshot.om" for e in result.verdict.evidence if e.path)


def test_instant_uses_the_newest_sample_within_the_lookback(tmp_path):
    path = snapshot_plan(tmp_path, OM, [
        {"name": "a", "query": 'lat{svc="a", zone=~"x|y"}', "pass": "< 0.4"},
        {"name": "old", "query": "old", "pass": "< 2"}])
    result = only_criterion(path)
    assert result.status is Status.FAIL
    values = sorted(e.value for e in result.verdict.evidence if e.label.startswith("a{"))
    assert values == [0.3, 0.5]  # newest of zone x, and zone y
    # 560s old: past the 5-minute lookback
    assert "old: the query returned no series" in evidence_text(result)


@pytest.mark.parametrize(("query", "expected"), [
    ('sum(lat{zone="x"})', [1.2]),
    ('max by (svc) (lat)', [0.5, 0.9]),
    ('min without (zone) (lat)', [0.3, 0.9]),
    ('count(lat{svc!="b"})', [2.0]),
    ('avg(lat{svc!~"b|c"})', [0.4]),
    ("lat{svc='b'}", [0.9]),
])
def test_the_promql_subset(tmp_path, query, expected):
    snapshot = load_snapshot(tmp_path, _write(tmp_path, OM))
    result = snapshot.instant(query, snapshot.now())
    assert sorted(round(s.samples[0].value, 9) for s in result.series) == expected


@pytest.mark.parametrize("query", [
    'histogram_quantile(0.95, sum by (le) (rate(x[5m])))',
    "rate(lat[5m])",
    "lat[5m]",
    "lat / 2",
])
def test_queries_a_snapshot_cannot_answer_are_errors_with_a_hint(tmp_path, query):
    path = snapshot_plan(tmp_path, OM, [{"name": "q", "query": query, "pass": "< 1"}])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "cannot answer" in result.verdict.summary and "recording rule" in result.verdict.summary


@pytest.mark.parametrize(("text", "reason"), [
    (OM.replace("# EOF\n", ""), "no '# EOF' line"),
    (OM.replace("0.9 1060", "0.9"), "snap.om:5: sample of lat has no timestamp"),
    (OM.replace("0.9 1060", "zero 1060"), "snap.om:5: bad value"),
    ("# EOF\n", "holds no samples"),
    # Timestamps that are not times: 1e300 once became "now" and passed (issue 12).
    (OM.replace("0.9 1060", "0.9 1e300"), "snap.om:5: timestamp '1e300' is not a time"),
    (OM.replace("0.9 1060", "0.9 NaN"), "snap.om:5: timestamp 'NaN' is not a time"),
    (OM.replace("0.9 1060", "0.9 +Inf"), "snap.om:5: timestamp '+Inf' is not a time"),
    (OM.replace("0.9 1060", "0.9 -60"), "snap.om:5: timestamp '-60' is not a time"),
])
def test_broken_snapshots_are_errors(tmp_path, text, reason):
    path = snapshot_plan(tmp_path, text, [{"name": "q", "query": "lat", "pass": "< 1"}])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert reason in result.verdict.summary


def test_missing_snapshot_is_an_error(tmp_path):
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:nowhere.om"}},
                           criteria=[slo([{"name": "q", "query": "lat", "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "metrics snapshot file:nowhere.om not found" in result.verdict.summary


def test_window_over_a_snapshot_uses_step_points(tmp_path):
    lines = ["# TYPE g gauge"] + [f'g{{s="a"}} {i} {1000 + 60 * i}' for i in range(61)] + ["# EOF"]
    path = snapshot_plan(tmp_path, "\n".join(lines) + "\n", [
        {"name": "avg", "query": "g", "window": "30m", "step": "1m", "aggregate": "avg", "pass": "< 100"},
        {"name": "median", "query": "g", "window": "10m", "aggregate": "median", "pass": "< 100"}])
    result = only_criterion(path)
    assert result.status is Status.PASS
    values = {e.label.split("{")[0]: e.value for e in result.verdict.evidence if " at " in e.label
              and "query" not in e.label}
    assert values == {"avg": 45.0, "median": 55.0}  # points 30..60 and 50..60


def test_query_api_json_snapshot(tmp_path):
    saved = {
        "captured_at": "2024-06-03T12:00:00Z",
        "prometheus": "https://prom.example",
        "queries": [
            {"query": "up", "response": {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"job": "api"}, "value": [1717416000, "1"]}]}}},
            {"query": "sum(rate(errors_total[5m]))",
             "response": {"status": "success", "data": {"resultType": "matrix", "result": [
                 {"metric": {}, "values": [[1717412400 + 60 * i, str(0.01 * i)] for i in range(61)]}]}}},
        ],
    }
    text = json.dumps(saved)
    path = snapshot_plan(tmp_path, text, [
        {"name": "up", "query": "up", "pass": ">= 1"},
        {"name": "errors", "query": "sum(rate( errors_total[5m] ))", "window": "30m", "aggregate": "max",
         "pass": "<= 0.6"}], name="saved.json")
    result = only_criterion(path)
    assert result.status is Status.PASS, result.verdict.summary
    assert "snapshot at 2024-06-03T12:00:00Z" in evidence_text(result)

    path = snapshot_plan(tmp_path, text, [{"name": "other", "query": "down", "pass": ">= 1"},
                                          {"name": "up-window", "query": "up", "window": "5m",
                                           "aggregate": "max", "pass": ">= 1"}], name="saved.json")
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "has no saved answer for `down`" in evidence_text(result)
    assert "holds an instant answer for `up` but the objective has a window" in evidence_text(result)


def test_bare_api_answer_is_refused(tmp_path):
    path = snapshot_plan(tmp_path, json.dumps({"status": "success", "data": {"resultType": "vector",
                                                                              "result": []}}),
                         [{"name": "q", "query": "up", "pass": ">= 1"}], name="bare.json")
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert "must say which query it answers" in result.verdict.summary


def test_parse_query_rejects_garbage():
    with pytest.raises(SourceError):
        parse_query("sum(", "file:x")


def test_the_example_snapshot_is_promtool_compatible(tmp_path):
    # live-stack.sh and the live tests backfill it with promtool; keep the file loadable.
    import subprocess

    from tests.support.live_servers import require_binary

    promtool = require_binary("promtool", "prometheus")
    copy = tmp_path / "s.om"
    shutil.copy(EXAMPLE_SNAPSHOT, copy)
    made = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(copy), str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr


def _write(folder, text: str) -> str:
    (folder / "s.om").write_text(text, encoding="utf-8")
    return "s.om"


def saved_answer(captured_at: object, stamp: float) -> str:
    return json.dumps({"captured_at": captured_at, "queries": [
        {"query": "up", "response": {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"job": "api"}, "value": [stamp, "1"]}]}}}]})


@pytest.mark.parametrize(("captured_at", "stamp", "reason"), [
    # An instant answer must be about the capture time, as a live one is about "now" (issue 12).
    ("2024-06-03T12:00:00Z", 1717416000 + 86400, "is in the future"),
    ("2024-06-03T12:00:00Z", 1717416000 - 86400, "before the instant query time"),
    ("2024-06-03T12:00:00Z", 0, "sample stamped 1970-01-01T00:00:00Z"),
    (1e300, 1717416000, "captured_at '1e+300' is not a time"),
    ("last tuesday", 1717416000, "captured_at 'last tuesday' is not a time"),
])
def test_saved_answers_from_the_wrong_time_are_errors(tmp_path, captured_at, stamp, reason):
    path = snapshot_plan(tmp_path, saved_answer(captured_at, stamp),
                         [{"name": "up", "query": "up", "pass": ">= 1"}], name="saved.json")
    result = only_criterion(path)
    assert result.status is Status.ERROR, result.verdict.summary
    assert reason in result.verdict.summary


@pytest.mark.parametrize(("make", "reason"), [
    (lambda path: __import__("os").mkfifo(path), "is a FIFO (named pipe), not a regular file"),
    (lambda path: path.mkdir(), "is a folder, not a regular file"),
    (lambda path: path.write_bytes(b"# TYPE g gauge\ng 1 \xff\n# EOF\n"), "snap.om:2:5: not UTF-8"),
])
def test_a_snapshot_that_is_not_a_readable_file_is_an_error(tmp_path, make, reason):
    # A FIFO once blocked the gate forever: it is refused without being opened.
    make(tmp_path / "snap.om")
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:snap.om"}},
                           criteria=[slo([{"name": "q", "query": "g", "pass": "< 1"}])])
    result = only_criterion(path)
    assert result.status is Status.ERROR
    assert reason in result.verdict.summary


@pytest.mark.parametrize("value", ["Infinity", "NaN", "-Infinity"])
def test_a_baseline_file_holding_a_non_number_is_an_error(tmp_path, cli, value):
    # `<=+10%` of Infinity holds for any value: an edited baseline must not make everything pass.
    (tmp_path / "snap.om").write_text(OM, encoding="utf-8")
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:snap.om"}}, phases=[
        {"id": "phase-0", "criteria": [slo([{"name": "lat", "query": 'lat{svc="a",zone="x"}', "pass": "< 1"}],
                                           id="freeze")]},
        {"id": "phase-1", "criteria": [slo([{"name": "new", "query": 'lat{svc="b"}', "pass": "<=+10%"}],
                                           baseline="phase-0/lat")]}])
    assert cli("-c", path, "baseline", "capture", "phase-0").code == 0
    baseline = tmp_path / "baselines" / "phase-0.json"
    data = json.loads(baseline.read_text())
    assert only_criterion(path, "phase-1").status is Status.FAIL  # 0.9 is far above 0.3 + 10%
    data["objectives"]["lat"]["series"][0]["value"] = float(value.replace("Infinity", "inf"))
    baseline.write_text(json.dumps(data))
    result = only_criterion(path, "phase-1")
    assert result.status is Status.ERROR, result.verdict.summary
    assert "baselines/phase-0.json is malformed at objectives.lat.series.0.value" in result.verdict.summary
