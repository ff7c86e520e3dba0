"""`prepctl baseline capture`, relative criteria, stale baselines, and the slo/sources config."""

from __future__ import annotations

import json

import pytest

from prepctl.slo.conditions import parse_condition
from prepctl.slo.durations import parse_duration
from prepctl.verdicts import Status
from tests.support.live_servers import only_criterion, slo, write_live_plan

OM = """\
# TYPE lat gauge
lat{svc="monolith"} 0.40 940
lat{svc="monolith"} 0.40 1000
lat{svc="monolith"} 0.50 1060
lat{svc="new"} 0.52 1060
lat{svc="slow"} 0.60 1060
# TYPE err gauge
err{svc="monolith",route="a"} 0.01 1060
err{svc="monolith",route="b"} 0.02 1060
err{svc="new",route="a"} 0.011 1060
err{svc="new",route="b"} 0.03 1060
# EOF
"""


def two_phase_plan(tmp_path, base_query: str = 'lat{svc="monolith"}', new_objectives=None):
    (tmp_path / "snap.om").write_text(OM, encoding="utf-8")
    new_objectives = new_objectives or [
        {"name": "new", "query": 'lat{svc="new"}', "pass": "<=+10%", "baseline": "phase-0/latency"},
        {"name": "slow", "query": 'lat{svc="slow"}', "pass": "<=+10%", "warn": "<=+25%",
         "baseline": "phase-0/latency"},
    ]
    return write_live_plan(tmp_path, {"prometheus": {"url": "file:snap.om"}}, phases=[
        {"id": "phase-0", "criteria": [slo([
            {"name": "latency", "query": base_query, "window": "2m", "aggregate": "max", "pass": "< 1"},
            {"name": "errors", "query": 'err{svc="monolith"}', "pass": "< 1"}], id="freeze")]},
        {"id": "phase-1", "depends_on": ["phase-0"], "criteria": [slo(new_objectives, baseline="phase-0")]},
    ])


def test_capture_writes_a_committable_baseline(tmp_path, cli):
    path = two_phase_plan(tmp_path)
    result = cli("-c", path, "baseline", "capture", "phase-0")
    assert result.code == 0, result.stderr
    assert "wrote" in result.stdout and "latency = 0.5" in result.stdout
    data = json.loads((tmp_path / "baselines" / "phase-0.json").read_text())
    latency = data["objectives"]["latency"]
    assert data["phase"] == "phase-0" and data["source"] == "file:snap.om"
    assert latency["query"] == 'lat{svc="monolith"}' and latency["window"] == "2m"
    assert latency["aggregate"] == "max" and latency["criterion"] == "freeze"
    assert latency["evaluated_at"] == "1970-01-01T00:17:40Z"  # the snapshot's time, not the clock's
    assert latency["series"] == [{"labels": {"svc": "monolith"}, "value": 0.5}]
    assert len(latency["objective_hash"]) == 16
    assert len(data["objectives"]["errors"]["series"]) == 2

    again = cli("-c", path, "baseline", "capture", "phase-0")
    assert again.code == 2 and "baseline 'phase-0' exists" in again.stderr and "--force" in again.stderr
    forced = cli("-c", path, "baseline", "capture", "phase-0", "--force")
    assert forced.code == 0 and forced.stdout.startswith("replaced")


def test_relative_criteria_against_the_baseline(tmp_path, cli):
    path = two_phase_plan(tmp_path)
    assert cli("-c", path, "baseline", "capture", "phase-0").code == 0
    result = only_criterion(path, "phase-1")
    assert result.status is Status.WARN  # new is +4% (pass), slow is +20% (warn)
    assert "slow" in result.verdict.summary and "-> warn" in result.verdict.summary
    new = next(e for e in result.verdict.evidence if e.label.startswith("new{"))
    assert new.value == 0.52 and new.expected == "pass if <= 0.55 (baseline 0.5 +10%)"


def test_several_series_compare_label_by_label(tmp_path, cli):
    path = two_phase_plan(tmp_path, new_objectives=[
        {"name": "errors-new", "query": 'err{svc="new"}', "pass": "<=+10%", "baseline": "phase-0/errors"}])
    assert cli("-c", path, "baseline", "capture", "phase-0").code == 0
    result = only_criterion(path, "phase-1")
    # The captured series carry svc="monolith", the new ones svc="new": no label-for-label match.
    assert result.status is Status.ERROR
    assert "none with these labels" in result.verdict.summary

    (tmp_path / "baselines" / "phase-0.json").unlink()
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:snap.om"}}, phases=[
        {"id": "phase-0", "criteria": [slo([
            {"name": "errors", "query": 'max by (route) (err{svc="monolith"})', "pass": "< 1"}], id="freeze")]},
        {"id": "phase-1", "criteria": [slo([
            {"name": "errors-new", "query": 'max by (route) (err{svc="new"})', "pass": "<=+10%",
             "baseline": "phase-0/errors"}])]},
    ])
    assert cli("-c", path, "baseline", "capture", "phase-0").code == 0
    result = only_criterion(path, "phase-1")
    assert result.status is Status.FAIL  # route a: 0.011 <= 0.011 passes; route b: 0.03 > 0.022 fails
    by_route = {e.label: e.value for e in result.verdict.evidence if e.label.startswith("errors-new{")}
    assert len(by_route) == 2
    assert 'route="b"' in result.verdict.summary and 'route="a"' not in result.verdict.summary


def test_a_changed_objective_makes_the_baseline_stale(tmp_path, cli):
    path = two_phase_plan(tmp_path)
    assert cli("-c", path, "baseline", "capture", "phase-0").code == 0
    assert only_criterion(path, "phase-1").status is Status.WARN
    two_phase_plan(tmp_path, base_query='max(lat{svc="monolith"})')  # same baseline file, new query
    result = only_criterion(path, "phase-1")
    assert result.status is Status.ERROR
    assert "baseline 'phase-0' is stale: objective 'latency' changed since capture" in result.verdict.summary
    assert "prepctl baseline capture phase-0 --name phase-0 --force" in result.verdict.summary


def test_a_baseline_without_the_objective_is_an_error(tmp_path, cli):
    path = two_phase_plan(tmp_path, new_objectives=[
        {"name": "new", "query": 'lat{svc="new"}', "pass": "<=+10%", "baseline": "phase-0/nothing"}])
    assert cli("-c", path, "baseline", "capture", "phase-0").code == 0
    result = only_criterion(path, "phase-1")
    assert result.status is Status.ERROR
    assert "has no objective 'nothing'" in result.verdict.summary


def test_a_malformed_baseline_is_an_error(tmp_path):
    path = two_phase_plan(tmp_path)
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "phase-0.json").write_text('{"name": "phase-0"}')
    result = only_criterion(path, "phase-1")
    assert result.status is Status.ERROR
    assert "baselines/phase-0.json is malformed" in result.verdict.summary


def test_capture_refuses_without_clean_numbers(tmp_path, cli):
    path = two_phase_plan(tmp_path, base_query='lat{svc="nobody"}')
    result = cli("-c", path, "baseline", "capture", "phase-0")
    assert result.code == 2
    assert "cannot capture latency: the query returned no series" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "baselines").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["phase-9"], "unknown phase 'phase-9'"),
    (["phase-1", "--name", "Bad Name"], "not a slug"),
])
def test_capture_bad_input(tmp_path, cli, args, message):
    path = two_phase_plan(tmp_path)
    result = cli("-c", path, "baseline", "capture", *args)
    assert result.code == 2 and message in result.stderr


def test_capture_a_phase_without_slo(tmp_path, cli):
    path = write_live_plan(tmp_path, {}, criteria=[
        {"id": "m", "kind": "manual", "title": "manual", "role": "x"}])
    result = cli("-c", path, "baseline", "capture", "p")
    assert result.code == 2 and "has no slo criterion" in result.stderr


# ---------------------------------------------------------------- config


@pytest.mark.parametrize(("objective", "message"), [
    ({"pass": "<=+10%"}, "a relative criterion needs a baseline"),
    ({"pass": "about 3"}, "must start with <, <=, >, >=, == or !="),
    ({"pass": "< three"}, "after the operator write a number"),
    ({"pass": "< 1", "window": "1h"}, "a window needs an aggregate"),
    ({"pass": "< 1", "aggregate": "max"}, "aggregate needs a window"),
    ({"pass": "< 1", "window": "an hour", "aggregate": "max"}, "is not a duration"),
    ({"pass": "< 1", "window": "1h", "aggregate": "p100"}, "aggregate"),
    ({"pass": "< 1", "query": "rate(x[${win}])"}, "query uses ${win}"),
    ({"pass": "< 1", "on_no_data": "maybe"}, "on_no_data"),
    ({"pass": "< 1", "baseline": "Phase 0"}, "must be NAME or NAME/OBJECTIVE"),
    ({"pas": "< 1"}, "did you mean 'pass'?"),
])
def test_bad_objectives_are_config_errors_with_a_line(tmp_path, cli, objective, message):
    full = {"name": "x", "query": "up", **objective}
    path = write_live_plan(tmp_path, {"prometheus": {"url": "http://127.0.0.1:9"}}, criteria=[slo([full])])
    result = cli("-c", path, "validate")
    assert result.code == 2
    assert message in result.stderr
    assert f"{path}:" in result.stderr and "Traceback" not in result.stderr


def test_vars_fill_queries(tmp_path):
    (tmp_path / "snap.om").write_text(OM, encoding="utf-8")
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:snap.om"}}, criteria=[slo(
        [{"name": "x", "query": 'lat{svc="${svc}"}', "pass": "< 0.55"}], vars={"svc": "new"})])
    result = only_criterion(path)
    assert result.status is Status.PASS
    assert result.verdict.evidence[0].value == 'lat{svc="new"}'


def test_sources_expand_environment_variables(tmp_path, cli, monkeypatch):
    (tmp_path / "snap.om").write_text(OM, encoding="utf-8")
    objective = [{"name": "x", "query": 'lat{svc="new"}', "pass": "< 1"}]
    path = write_live_plan(tmp_path, {"prometheus": {"url": "${TEST_PROM_URL:-file:snap.om}"}},
                           criteria=[slo(objective)])
    monkeypatch.delenv("TEST_PROM_URL", raising=False)
    assert only_criterion(path).status is Status.PASS
    monkeypatch.setenv("TEST_PROM_URL", "file:missing.om")
    assert "missing.om not found" in only_criterion(path).verdict.summary

    path = write_live_plan(tmp_path, {"prometheus": {"url": "${TEST_PROM_UNSET}"}}, criteria=[slo(objective)])
    result = cli("-c", path, "validate")
    assert result.code == 2 and "environment variable TEST_PROM_UNSET is not set" in result.stderr


@pytest.mark.parametrize(("sources", "message"), [
    ({"prometheus": {"url": "ftp://x"}}, "is not an http(s) URL"),
    ({"prometheus": {"url": "http://x", "token_env": "ghp_abc def"}}, "is not an environment variable name"),
    ({"alertmanager": {"url": "file:x"}}, "is not an http(s) URL"),
    ({"http": {"timeout": 0}}, "greater than 0"),
    ({"prometheus": {"url": "http://x", "token": "secret"}}, "unknown key 'token'"),
])
def test_bad_sources_are_config_errors(tmp_path, cli, sources, message):
    path = write_live_plan(tmp_path, sources, criteria=[{"id": "m", "kind": "manual", "title": "m", "role": "x"}])
    result = cli("-c", path, "validate")
    assert result.code == 2 and message in result.stderr


@pytest.mark.parametrize(("text", "value", "baseline", "holds"), [
    ("< 0.3", 0.29, None, True),
    ("<= 0.01", 0.011, None, False),
    (">= 0.999", 0.9995, None, True),
    ("<=+10%", 0.55, 0.5, True),
    ("<=+10%", 0.551, 0.5, False),
    (">=-5%", 0.95, 1.0, True),
    ("<= baseline * 1.10", 1.1, 1.0, True),
    ("< 1.1 * baseline", 1.1, 1.0, False),
    ("<= baseline + 0.05", 0.55, 0.5, True),
    ("<=+0.05", 0.56, 0.5, False),
    ("== 0", 0.0, None, True),
])
def test_conditions(text, value, baseline, holds):
    condition = parse_condition(text)
    assert condition.holds(value, condition.threshold(baseline)) is holds


def test_relative_condition_without_baseline_value_raises():
    from prepctl.errors import GateError

    with pytest.raises(GateError, match="relative to a baseline"):
        parse_condition("<=+10%").threshold(None)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("7d", 604800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
