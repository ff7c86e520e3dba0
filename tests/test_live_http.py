"""The shared HTTP client: retries, Retry-After, rate limits, the time budget, redaction."""

from __future__ import annotations

import time

import pytest

from prepctl.sources.config import HttpSettings
from prepctl.sources.http import Auth, HttpClient, SourceError, parse_retry_after, safe_url


class RecordingSleep:
    """Records the delays the client asks for instead of sleeping (no timing in tests)."""

    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client(sleep: RecordingSleep | None = None, **settings) -> HttpClient:
    values = {"timeout": 2, "retries": 3, "backoff": 0.1, "budget": 30, **settings}
    return HttpClient(HttpSettings(**values), sleep=sleep or RecordingSleep())


def test_429_honours_retry_after(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data("slow down", status=429,
                                                              headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    sleep = RecordingSleep()
    data, _ = client(sleep).get_json(httpserver.url_for("/x"), what="Test")
    assert data == {"ok": True}
    assert sleep.delays == [7.0]


def test_retry_after_beyond_the_budget_fails_at_once(httpserver):
    httpserver.expect_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": "600"})
    sleep = RecordingSleep()
    with pytest.raises(SourceError) as caught:
        client(sleep, budget=30).get_json(httpserver.url_for("/x"), what="Test")
    assert "past the time budget of 30s" in str(caught.value)
    assert "Retry-After 600" in str(caught.value)
    assert sleep.delays == [] and len(httpserver.log) == 1


def test_backoff_doubles(httpserver):
    httpserver.expect_request("/x").respond_with_data("no", status=502)
    sleep = RecordingSleep()
    with pytest.raises(SourceError, match="gave up after 4 attempts"):
        client(sleep, backoff=1).get_json(httpserver.url_for("/x"), what="Test")
    assert len(sleep.delays) == 3
    # Each delay is the doubled base times a jitter in [0.5, 1).
    for attempt, delay in enumerate(sleep.delays):
        assert 0.5 * 2 ** attempt <= delay < 2 ** attempt


def test_github_style_rate_limit_waits_for_the_reset(httpserver):
    reset = int(time.time()) + 5
    httpserver.expect_ordered_request("/x").respond_with_json(
        {"message": "API rate limit exceeded"}, status=403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    httpserver.expect_ordered_request("/x").respond_with_json([])
    sleep = RecordingSleep()
    client(sleep).get_json(httpserver.url_for("/x"), what="GitHub")
    assert len(sleep.delays) == 1 and 3 <= sleep.delays[0] <= 7


def test_plain_403_is_not_retried(httpserver):
    httpserver.expect_request("/x").respond_with_json({"message": "Resource not accessible"}, status=403)
    with pytest.raises(SourceError, match="HTTP 403"):
        client().get_json(httpserver.url_for("/x"), what="GitHub")
    assert len(httpserver.log) == 1


def test_the_budget_bounds_the_whole_run(httpserver):
    httpserver.expect_request("/x").respond_with_json({})
    now = [0.0]
    http = HttpClient(HttpSettings(budget=10), clock=lambda: now[0], sleep=lambda s: None)
    http.get_json(httpserver.url_for("/x"), what="Test")
    now[0] = 11.0
    with pytest.raises(SourceError, match="time budget of 10s for live sources used up"):
        http.get_json(httpserver.url_for("/x"), what="Test")


def test_errors_never_carry_the_token(httpserver, monkeypatch):
    secret = "tok-live-0123456789"
    monkeypatch.setenv("TEST_LIVE_TOKEN", secret)

    def echo(request):
        from werkzeug import Response

        return Response(f"denied for {request.headers.get('Authorization')}", status=401)

    httpserver.expect_request("/x").respond_with_handler(echo)
    with pytest.raises(SourceError) as caught:
        client().get_json(httpserver.url_for("/x"), what="Test", auth=Auth(bearer_env="TEST_LIVE_TOKEN"))
    text = str(caught.value)
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {secret}"  # it was sent ...
    assert secret not in text  # ... and never shown
    assert "denied for Bearer ***" in text
    assert "is TEST_LIVE_TOKEN set to a valid token?" in text


def test_basic_auth_pair_is_redacted_too(httpserver, monkeypatch):
    monkeypatch.setenv("TEST_JIRA_USER", "me@example.com")
    monkeypatch.setenv("TEST_JIRA_TOKEN", "jira-secret-42")

    def echo(request):
        from werkzeug import Response

        return Response(f"bad {request.headers.get('Authorization')}", status=500)

    httpserver.expect_request("/x").respond_with_handler(echo)
    auth = Auth(bearer_env="TEST_JIRA_TOKEN", basic_user_env="TEST_JIRA_USER")
    with pytest.raises(SourceError) as caught:
        client(retries=0).get_json(httpserver.url_for("/x"), what="Jira", auth=auth)
    assert httpserver.log[0][0].headers["Authorization"].startswith("Basic ")
    assert "bad Basic ***" in str(caught.value)


def test_safe_url_drops_credentials_and_query():
    assert safe_url("https://user:pw@prom.example:9090/api?access_token=abc") == "https://prom.example:9090/api"


@pytest.mark.parametrize(("value", "low", "high"), [("12", 12, 12), ("0", 0, 0)])
def test_parse_retry_after_seconds(value, low, high):
    assert low <= parse_retry_after(value) <= high


def test_parse_retry_after_http_date():
    from email.utils import formatdate

    assert 50 <= parse_retry_after(formatdate(time.time() + 60, usegmt=True)) <= 61
    assert parse_retry_after("soon") is None
