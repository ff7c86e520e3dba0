"""The `incidents` gate against a real Alertmanager (Debian's prometheus-alertmanager).

Every test labels its alerts with a fresh ``run`` value and matches on it, so tests sharing the
session's Alertmanager never see each other's alerts.
"""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from prepctl.verdicts import Status
from tests.support.live_servers import AlertmanagerServer, evidence_text, only_criterion, write_live_plan


def incidents_plan(tmp_path, url: str, run: str, **extra):
    criterion = {"id": "no-sev0-sev1", "kind": "incidents", "title": "No Sev-0/Sev-1 incidents",
                 "matchers": ['severity=~"sev0|sev1"', 'service=~"api|worker"', f'run="{run}"'], **extra}
    return write_live_plan(tmp_path, {"alertmanager": {"url": url}, "http": {"timeout": 5, "retries": 1,
                                                                             "backoff": 0.05}},
                           criteria=[criterion])


def test_no_alerts_passes(alertmanager_server: AlertmanagerServer, tmp_path):
    run = alertmanager_server.new_run()
    result = only_criterion(incidents_plan(tmp_path, alertmanager_server.url, run))
    assert result.status is Status.PASS
    assert "0 active alerts" in result.verdict.summary
    assert "Alertmanager 0." in evidence_text(result)  # the status endpoint was read


def test_a_firing_sev1_fails_and_the_same_alert_silenced_does_not(alertmanager_server, tmp_path):
    run = alertmanager_server.new_run()
    labels = {"alertname": "WorkerQueueStuck", "severity": "sev1", "service": "worker", "run": run}
    alertmanager_server.fire(labels)
    path = incidents_plan(tmp_path, alertmanager_server.url, run)

    result = only_criterion(path)
    assert result.status is Status.FAIL
    assert "1 active alert matching" in result.verdict.summary
    alert = next(e for e in result.verdict.evidence if e.label.startswith("active WorkerQueueStuck since "))
    assert 'severity="sev1"' in alert.value and 'service="worker"' in alert.value

    silence = alertmanager_server.silence({"run": run, "alertname": "WorkerQueueStuck"})
    alertmanager_server.wait_for(labels, lambda a: a["status"]["state"] == "suppressed")
    result = only_criterion(path)
    assert result.status is Status.PASS
    assert "1 silenced/inhibited not counted" in result.verdict.summary
    assert f"is silenced ({silence})" in evidence_text(result)


def test_inhibited_alerts_do_not_count(alertmanager_server, tmp_path):
    run = alertmanager_server.new_run()
    labels = {"alertname": "ApiDown", "severity": "sev0", "service": "api", "run": run}
    alertmanager_server.fire(labels)
    path = incidents_plan(tmp_path, alertmanager_server.url, run)
    assert only_criterion(path).status is Status.FAIL

    alertmanager_server.fire({"alertname": "MaintenanceWindow", "severity": "info", "run": run})
    alertmanager_server.wait_for(labels, lambda a: bool(a["status"]["inhibitedBy"]))
    result = only_criterion(path)
    assert result.status is Status.PASS
    assert "is inhibited" in evidence_text(result)


def test_only_matching_alerts_count(alertmanager_server, tmp_path):
    run = alertmanager_server.new_run()
    alertmanager_server.fire({"alertname": "SlowReports", "severity": "sev2", "service": "api", "run": run})
    alertmanager_server.fire({"alertname": "BillingDown", "severity": "sev1", "service": "billing", "run": run})
    alertmanager_server.fire({"alertname": "WorkerLag", "severity": "sev1", "service": "worker-2", "run": run})
    result = only_criterion(incidents_plan(tmp_path, alertmanager_server.url, run))
    # sev2 is not blocking, billing is not api/worker, and regexes are anchored: worker-2 != worker.
    assert result.status is Status.PASS


def test_max_active_allows_some(alertmanager_server, tmp_path):
    run = alertmanager_server.new_run()
    for name in ("A", "B"):
        alertmanager_server.fire({"alertname": name, "severity": "sev1", "service": "api", "run": run})
    assert only_criterion(incidents_plan(tmp_path, alertmanager_server.url, run, max_active=2)).status \
        is Status.PASS
    result = only_criterion(incidents_plan(tmp_path, alertmanager_server.url, run, max_active=1))
    assert result.status is Status.FAIL and "2 active alerts" in result.verdict.summary


def test_something_that_is_not_alertmanager_is_an_error(httpserver, tmp_path):
    # A catch-all that answers [] to everything must not look like "no incidents".
    httpserver.expect_request("/api/v2/alerts").respond_with_json([])
    httpserver.expect_request("/api/v2/status").respond_with_json({"hello": "world"})
    result = only_criterion(incidents_plan(tmp_path, httpserver.url_for(""), "x"))
    assert result.status is Status.ERROR
    assert "does not answer like an Alertmanager v2 API" in result.verdict.summary


def alert(state: str = "active", silenced: object = (), inhibited: object = (), **fields: object) -> dict:
    """An alert as Alertmanager 0.25 answers it, with the fields a case overrides."""
    return {"labels": {"alertname": "ApiDown", "severity": "sev1", "service": "api", "run": "x"},
            "annotations": {}, "receivers": [{"name": "blackhole"}], "fingerprint": "a1b2c3",
            "startsAt": "2026-01-02T03:04:05.123456789Z", "updatedAt": "2026-01-02T03:04:05.1Z",
            "endsAt": "2026-01-02T05:04:05Z",
            "status": {"state": state, "silencedBy": list(silenced) if isinstance(silenced, tuple) else silenced,
                       "inhibitedBy": list(inhibited) if isinstance(inhibited, tuple) else inhibited},
            **fields}


@pytest.mark.parametrize(("alerts", "reason"), [
    (None, "answered null instead of a list"),
    ({"alerts": []}, "answered dict instead of a list"),
    ([{"labels": {"a": "b"}}], "malformed alert"),
    ([alert(state="exploded")], "unknown state 'exploded'"),
    # Each of these once counted as silenced (a string iterated letter by letter) or crashed.
    pytest.param([alert(silenced="oops")], "status.silencedBy: must be a list of ids", id="silencedBy-string"),
    pytest.param([alert(silenced=[""])], "status.silencedBy[0]: must be a non-empty id", id="silencedBy-empty-id"),
    pytest.param([alert(silenced=[None])], "status.silencedBy[0]: must be a non-empty id", id="silencedBy-null"),
    pytest.param([alert(inhibited={"x": 1})], "status.inhibitedBy: must be a list", id="inhibitedBy-object"),
    pytest.param([alert(silenced=["5e1f"])], "status.state is active, yet status.silencedBy names 5e1f",
                 id="active-yet-silenced"),
    pytest.param([alert(state="suppressed")], "nothing suppresses it", id="suppressed-by-nothing"),
    pytest.param([alert(startsAt="yesterday")], "startsAt: 'yesterday' is not an RFC 3339 time", id="startsAt"),
    pytest.param([alert(startsAt="2026-02-30T00:00:00Z")], "not a valid date", id="startsAt-feb-30"),
    pytest.param([alert(endsAt="2025-01-01T00:00:00Z")], "endsAt 2025-01-01T00:00:00Z is before startsAt",
                 id="ends-before-start"),
    pytest.param([alert(labels={"alertname": "ApiDown", "severity": 1})], "labels.severity: must be a string",
                 id="label-not-a-string"),
    pytest.param([alert(fingerprint=None)], "fingerprint: must be a non-empty string", id="no-fingerprint"),
    pytest.param([alert(status="active")], "status: must be an object", id="status-string"),
    pytest.param([alert(), "oops"], "alert 'oops': an alert must be an object", id="not-an-object"),
])
def test_malformed_alert_lists_are_errors(httpserver, tmp_path, alerts, reason):
    httpserver.expect_request("/api/v2/status").respond_with_json({"versionInfo": {"version": "0.25.0"},
                                                                   "uptime": "2024-06-03T00:00:00Z"})
    httpserver.expect_request("/api/v2/alerts").respond_with_json(alerts)
    result = only_criterion(incidents_plan(tmp_path, httpserver.url_for(""), "x"))
    assert result.status is Status.ERROR, result.verdict.summary
    assert reason in result.verdict.summary
    if isinstance(alerts, list) and len(alerts) == 1 and alerts[0].get("fingerprint"):
        assert "fingerprint 'a1b2c3', alertname 'ApiDown'" in result.verdict.summary  # which alert


def test_a_well_formed_stand_in_is_counted(httpserver, tmp_path):
    # The control for the cases above: the same alert, well formed, fails the gate (one active),
    # and the same alert suppressed by a silence passes with it listed as not counted.
    httpserver.expect_request("/api/v2/status").respond_with_json({"versionInfo": {"version": "0.25.0"},
                                                                   "uptime": "2024-06-03T00:00:00Z"})
    answers = [[alert()], [alert("suppressed", ["5e1f"])]]
    httpserver.expect_request("/api/v2/alerts").respond_with_handler(
        lambda request: Response(json.dumps(answers.pop(0)), content_type="application/json"))
    path = incidents_plan(tmp_path, httpserver.url_for(""), "x")
    assert only_criterion(path).status is Status.FAIL
    result = only_criterion(path)
    assert result.status is Status.PASS
    assert "is silenced (5e1f)" in evidence_text(result)


def test_alertmanager_down_is_an_error(tmp_path):
    from tests.support.live_servers import free_port

    result = only_criterion(incidents_plan(tmp_path, f"http://127.0.0.1:{free_port()}", "x"))
    assert result.status is Status.ERROR and "cannot connect" in result.verdict.summary


@pytest.mark.parametrize("matcher", ["severity", 'severity=~"("', "=sev1"])
def test_bad_matchers_are_config_errors(tmp_path, cli, matcher):
    path = write_live_plan(tmp_path, {"alertmanager": {"url": "http://127.0.0.1:9"}}, criteria=[
        {"id": "i", "kind": "incidents", "title": "i", "matchers": [matcher]}])
    result = cli("-c", path, "validate")
    assert result.code == 2 and "matcher" in result.stderr and f"{path}:" in result.stderr


class _ManyAlerts:
    """An AlertsSource firing ``active`` alerts and ``muted`` silenced ones (no server needed)."""

    location = "http://127.0.0.1:9/"

    def __init__(self, active: int, muted: int):
        self.active, self.muted = active, muted

    def status(self):
        from prepctl.sources.metrics.interface import AlertmanagerStatus
        return AlertmanagerStatus("0.25.0", "2024-06-03T12:00:00Z")

    def alerts(self, matchers):
        from prepctl.sources.metrics.interface import Alert
        firing = [Alert({"alertname": f"A{i}", "severity": "sev1"}, "2024-06-03T11:00:00Z", "active")
                  for i in range(self.active)]
        return firing + [Alert({"alertname": f"M{i}", "severity": "sev1"}, "2024-06-03T11:00:00Z", "suppressed",
                               silenced_by=("s1",)) for i in range(self.muted)]


def test_ten_thousand_firing_alerts_are_capped_in_the_evidence_but_counted_in_full():
    from prepctl.gates.incidents import MAX_ALERTS_SHOWN, IncidentsSpec, count_alerts

    spec = IncidentsSpec(id="inc", kind="incidents", title="t", matchers=['severity="sev1"'])
    verdict = count_alerts(spec, _ManyAlerts(10_000, 3_000))
    assert verdict.status is Status.FAIL
    assert verdict.summary.startswith("10000 active alerts matching")
    assert "3000 silenced/inhibited not counted" in verdict.summary
    listed = [e for e in verdict.evidence if e.label.startswith(("active ", "not counted: "))]
    assert len(listed) == MAX_ALERTS_SHOWN
    assert all(e.label.startswith("active ") for e in listed)  # counted alerts come first
    rest = verdict.evidence[-1]
    assert rest.label == f"and {10_000 - MAX_ALERTS_SHOWN} more active and 3000 more silenced/inhibited alerts"
    assert "not listed" in str(rest.value)
    assert verdict.evidence[0].metric.value == 10_000


def test_a_few_alerts_are_all_listed():
    from prepctl.gates.incidents import IncidentsSpec, count_alerts

    spec = IncidentsSpec(id="inc", kind="incidents", title="t", matchers=['severity="sev1"'], max_active=5)
    verdict = count_alerts(spec, _ManyAlerts(3, 2))
    assert verdict.status is Status.PASS
    assert len([e for e in verdict.evidence if e.label.startswith(("active ", "not counted: "))]) == 5
    assert not any(e.label.startswith("and ") for e in verdict.evidence)
