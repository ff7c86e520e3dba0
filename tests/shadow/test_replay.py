"""Replay against real HTTP servers on 127.0.0.1: a primary, a second primary and a candidate with
one seeded difference, noisy fields and a 500 endpoint (see tests/support/shadow_servers.py)."""

from __future__ import annotations

import json

import pytest

from prepctl.shadow.compare import CompareRules
from prepctl.shadow.html import render_html
from prepctl.shadow.recorded import RecordedRequest, parse_requests
from prepctl.shadow.render import render_json, render_table
from prepctl.shadow.replay import ReplaySettings, Targets
from prepctl.shadow.report import ShadowReport
from prepctl.shadow.run import ShadowJob, run_shadow
from tests.support.shadow_servers import (
    BROKEN_LINE,
    CANDIDATE_CONFIRMED,
    POST_LINE,
    PRIMARY_CONFIRMED,
    REQUESTS_JSONL,
    SEEDED_LINES,
    AppBehaviour,
    Trio,
    dead_url,
    serve,
)

pytestmark = pytest.mark.live

FAST = ReplaySettings(rate=0, timeout=10, max_seconds=60)


def _run(requests: list[RecordedRequest] | str, targets: Targets, settings: ReplaySettings = FAST,
         rules: CompareRules | None = None) -> ShadowReport:
    if isinstance(requests, str):
        requests = parse_requests(requests, "requests.jsonl")
    return run_shadow(ShadowJob(requests, "requests.jsonl", targets, settings, rules or CompareRules()))


def _trio_targets(trio: Trio, secondary: bool = True) -> Targets:
    return Targets(trio.primary.url, trio.candidate.url, trio.secondary.url if secondary else None)


def test_seeded_difference_is_found_with_example_requests(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio))
    confirmed = [d for d in report.differences if d.field == "$.confirmed"]
    assert len(confirmed) == 1
    finding = confirmed[0]
    assert (finding.endpoint, finding.count, finding.noise_count) == ("GET /api/v1/analytics", 4, 0)
    example = finding.examples[0]
    assert example.ref.request == "GET /api/v1/analytics" and example.ref.line == SEEDED_LINES[0]
    assert (example.primary, example.candidate, example.secondary) == (
        PRIMARY_CONFIRMED, CANDIDATE_CONFIRMED, PRIMARY_CONFIRMED)
    assert report.compared == 11 and report.mismatched == 5 and report.matched == 6
    assert report.match_rate == 6 / 11


def test_noisy_fields_are_noise_not_differences_when_a_secondary_is_given(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio))
    noise = {(n.endpoint, n.field) for n in report.noise}
    assert ("GET /api/v1/analytics", "$.generated_at") in noise
    assert ("GET /api/v1/analytics", "$.request_id") in noise
    assert ("GET /analytics/host/{id}/summary", "$.request_id") in noise
    assert not [d for d in report.differences if d.field in ("$.generated_at", "$.request_id")]
    # Only the seeded difference and the 500 make requests mismatch; the noise does not.
    reasons = {reason for m in report.mismatches for reason in m.reasons}
    assert reasons == {"$.confirmed differs (GET /api/v1/analytics)",
                       "status differs (GET /analytics/host/{id}/summary)"}


def test_without_a_secondary_the_noisy_fields_count_as_differences(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio, secondary=False))
    fields = {d.field for d in report.differences}
    assert {"$.confirmed", "$.generated_at", "$.request_id", "status"} <= fields
    assert report.noise == [] and "secondary" not in report.latency
    # Ignoring the volatile fields explicitly is the way to go without a secondary.
    quiet = _run(REQUESTS_JSONL, _trio_targets(shadow_trio, secondary=False),
                 rules=CompareRules(ignore=("$.generated_at", "$.request_id")))
    assert {d.field for d in quiet.differences} == {"$.confirmed", "status"}


def test_the_primary_can_be_its_own_secondary(shadow_trio: Trio):
    """No second instance: each request goes to the primary twice, and what changes between the two
    answers (ids, timestamps) is noise. The seeded difference is still found."""
    primary = shadow_trio.primary.url
    report = _run(REQUESTS_JSONL, Targets(primary, shadow_trio.candidate.url, primary))
    noise = {(n.endpoint, n.field) for n in report.noise}
    assert {("GET /api/v1/analytics", "$.generated_at"), ("GET /api/v1/analytics", "$.request_id")} <= noise
    assert {d.field for d in report.differences} == {"$.confirmed", "status"}


def test_the_500_endpoint_is_reported(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio))
    errors = {(e.side, e.kind): e for e in report.errors}
    assert list(errors) == [("candidate", "http 500")]
    assert errors[("candidate", "http 500")].count == 1
    assert errors[("candidate", "http 500")].examples[0].line == BROKEN_LINE
    status = next(d for d in report.differences if d.field == "status")
    assert status.endpoint == "GET /analytics/host/{id}/summary"
    assert (status.examples[0].primary, status.examples[0].candidate) == (200, 500)


def test_latency_percentiles_per_side(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio))
    assert set(report.latency) == {"primary", "candidate", "secondary"}
    for summary in report.latency.values():
        assert summary.count == 11
        assert 0 < summary.p50_ms <= summary.p95_ms <= summary.p99_ms <= summary.max_ms


def test_post_is_not_replayed_without_allow_side_effects(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio))
    for app in (shadow_trio.primary, shadow_trio.secondary, shadow_trio.candidate):
        assert "POST" not in app.state.methods()
        assert "HEAD" in app.state.methods()  # HEAD is safe, so it was replayed
    assert [(s.ref.line, s.ref.request) for s in report.skipped] == [(POST_LINE, "POST /api/v1/analytics/refresh")]
    assert "--allow-side-effects" in report.skipped[0].reason


def test_post_is_replayed_with_allow_side_effects(shadow_trio: Trio):
    settings = ReplaySettings(rate=0, allow_side_effects=True)
    report = _run(REQUESTS_JSONL, _trio_targets(shadow_trio), settings)
    assert report.skipped == [] and report.compared == 12
    for app in (shadow_trio.primary, shadow_trio.secondary, shadow_trio.candidate):
        posts = [s for s in app.state.seen if s.method == "POST"]
        assert len(posts) == 1 and json.loads(posts[0].body) == {"scope": "all"}
    # The apps answer with their role: a real difference between primary and candidate...
    assert "$.by" in {d.field for d in report.differences} | {n.field for n in report.noise}


def test_dead_candidate_is_a_mismatch_with_connection_refused_not_a_crash(shadow_trio: Trio):
    report = _run(REQUESTS_JSONL, Targets(shadow_trio.primary.url, dead_url(), shadow_trio.secondary.url))
    assert report.compared == 11 and report.mismatched == 11 and report.match_rate == 0
    errors = {(e.side, e.kind): e.count for e in report.errors}
    assert errors == {("candidate", "connection refused"): 11}
    assert all(m.reasons == ("candidate: connection refused",) for m in report.mismatches)
    assert report.latency["candidate"].count == 0 and report.latency["primary"].count == 11


def test_a_slow_side_times_out_per_request():
    requests = '{"path": "/slow"}\n{"path": "/api/v1/analytics/bookings"}\n'
    with serve(AppBehaviour("primary", slow_seconds=0)) as primary, \
            serve(AppBehaviour("candidate", slow_seconds=30)) as candidate:
        report = _run(requests, Targets(primary.url, candidate.url), ReplaySettings(rate=0, timeout=0.3))
    assert {(e.side, e.kind) for e in report.errors} == {("candidate", "timeout")}
    assert report.compared == 2 and report.mismatched == 1
    assert report.mismatches[0].ref.request == "GET /slow"


def test_the_whole_run_is_bounded_by_max_seconds():
    requests = "\n".join('{"path": "/slow"}' for _ in range(6))
    with serve(AppBehaviour("primary")) as primary, serve(AppBehaviour("candidate")) as candidate:
        report = _run(requests, Targets(primary.url, candidate.url),
                      ReplaySettings(rate=0, concurrency=2, timeout=60, max_seconds=0.5))
    assert report.deadline_reached and report.not_run == 6 and report.compared == 0
    assert [(e.side, e.kind, e.count) for e in report.errors] == [("run", "run deadline", 6)]


def test_concurrency_caps_requests_in_flight():
    requests = "\n".join(f'{{"path": "/analytics/host/{i}/summary"}}' for i in range(12))
    with serve(AppBehaviour("primary", delay=0.05)) as primary, \
            serve(AppBehaviour("candidate", delay=0.05)) as candidate:
        report = _run(requests, Targets(primary.url, candidate.url), ReplaySettings(rate=0, concurrency=2))
        assert report.compared == 12
        assert 1 <= primary.state.max_in_flight <= 2 and 1 <= candidate.state.max_in_flight <= 2


def test_failures_are_not_retried():
    requests = '{"path": "/drop"}\n{"path": "/drop", "query": {"n": 2}}\n'
    with serve(AppBehaviour("primary")) as primary, serve(AppBehaviour("candidate")) as candidate:
        report = _run(requests, Targets(primary.url, candidate.url))
        assert primary.state.hits("/drop") == 2 and candidate.state.hits("/drop") == 2
    kinds = {(e.side, e.count) for e in report.errors}
    assert kinds == {("primary", 2), ("candidate", 2)}
    assert report.primary_failures == 2


def test_tokens_are_redacted_in_every_output(shadow_trio: Trio):
    token = "s3cr3t-bearer-9f2c41d7"
    cookie_value = "sid=c00kie-5e7a9b1f"
    query_token = "qtok-71c2a9e4"
    requests = "\n".join(json.dumps(r) for r in [
        {"path": "/echo-auth", "headers": {"Authorization": f"Bearer {token}", "Cookie": cookie_value}},
        {"path": "/echo-auth", "query": {"token": query_token}, "headers": {"Authorization": f"Bearer {token}"}},
    ])
    report = _run(requests, _trio_targets(shadow_trio))
    # The services did get the credentials (replays must authenticate)...
    assert any(s.headers.get("Authorization") == f"Bearer {token}" and s.headers.get("Cookie") == cookie_value
               for s in shadow_trio.primary.state.seen)
    # ...and the candidate's echo of it is a reported difference, shown redacted.
    auth = next(d for d in report.differences if d.field == "$.auth")
    assert auth.examples[0].primary == "***" and auth.examples[0].candidate == "seen ***"
    outputs = {"table": render_table(report), "json": render_json(report), "html": render_html(report)}
    for name, text in outputs.items():
        for secret in (token, cookie_value, "c00kie-5e7a9b1f", query_token):
            assert secret not in text, f"{secret} leaked into the {name} output"
    assert "/echo-auth?token=***" in outputs["json"]
