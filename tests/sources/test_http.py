"""The shared HTTP client: retries, Retry-After, rate limits, the time budget, redaction."""

from __future__ import annotations

import time

import pytest

from prepctl.plan.sources import HttpSettings
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


# ---------------------------------------------------------------- hostile servers (issue 12)


@pytest.mark.parametrize(("header", "delays"), [
    ("nan", None), ("inf", None), ("-inf", None), ("soon", None),  # unreadable: ordinary backoff
    ("-1", [0.0]),  # a negative wait means now
])
def test_unreadable_or_negative_retry_after_backs_off_normally(httpserver, header, delays):
    httpserver.expect_ordered_request("/x").respond_with_data("slow down", status=429,
                                                              headers={"Retry-After": header})
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    sleep = RecordingSleep()
    data, _ = client(sleep).get_json(httpserver.url_for("/x"), what="Test")
    assert data == {"ok": True}
    if delays is None:
        assert len(sleep.delays) == 1 and 0.05 <= sleep.delays[0] < 0.1  # backoff 0.1 with jitter
    else:
        assert sleep.delays == delays


@pytest.mark.parametrize("header", ["1e300", "Fri, 31 Dec 9999 23:59:59 GMT", "99999999999999999999"])
def test_a_huge_retry_after_is_not_waited_for(httpserver, header):
    httpserver.expect_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": header})
    sleep = RecordingSleep()
    with pytest.raises(SourceError) as caught:
        client(sleep).get_json(httpserver.url_for("/x"), what="Test")
    assert "past the time budget of 30s" in str(caught.value)
    assert sleep.delays == []


def test_retry_after_in_the_past_retries_at_once(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    sleep = RecordingSleep()
    client(sleep).get_json(httpserver.url_for("/x"), what="Test")
    assert sleep.delays == [0.0]


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e300", "", "Fri, 31 Dec 9999 23:59:59 GMT",
                                   "Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 99 Foo 2015 99:99:99 GMT"])
def test_parse_retry_after_is_finite_and_never_negative(value):
    seconds = parse_retry_after(value)
    assert seconds is None or 0 <= seconds < float("inf")


def test_a_huge_rate_limit_reset_is_an_error_not_a_crash(httpserver):
    httpserver.expect_request("/x").respond_with_json(
        {"message": "API rate limit exceeded"}, status=403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9" * 400})
    with pytest.raises(SourceError, match="HTTP 403"):
        client(retries=0).get_json(httpserver.url_for("/x"), what="GitHub")


def test_credentials_in_the_url_are_refused_before_any_request(httpserver, monkeypatch):
    from prepctl.secrets import redact

    monkeypatch.setenv("TEST_LIVE_TOKEN", "tok-configured-123")
    httpserver.expect_request("/x").respond_with_json({})
    url = httpserver.url_for("/x").replace("://", "://alice:pa55-word-xyz@")
    with pytest.raises(SourceError) as caught:
        client().get_json(url, what="Test", auth=Auth(bearer_env="TEST_LIVE_TOKEN"))
    text = str(caught.value)
    assert "carries credentials" in text and "token_env" in text
    assert "pa55-word-xyz" not in text and "alice" not in text
    assert httpserver.log == []  # nothing sent: the configured token was not replaced either
    # Registered for redaction, Basic header value included, should anything quote them later.
    import base64

    basic = base64.b64encode(b"alice:pa55-word-xyz").decode()
    assert redact(f"pa55-word-xyz {basic}") == "*** ***"


def test_a_redirect_to_another_host_is_not_followed(httpserver, monkeypatch):
    monkeypatch.setenv("TEST_LIVE_TOKEN", "tok-stays-home-456")
    # Same port, another host name: still another origin.
    elsewhere = httpserver.url_for("/y").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/x").respond_with_data("", status=302, headers={"Location": elsewhere})
    httpserver.expect_request("/y").respond_with_json({"stolen": True})
    with pytest.raises(SourceError) as caught:
        client().get_json(httpserver.url_for("/x"), what="Test", auth=Auth(bearer_env="TEST_LIVE_TOKEN"))
    assert "redirects to another server (http://127.0.0.1:" in str(caught.value)
    assert [r.path for r, _ in httpserver.log] == ["/x"]


def test_a_redirect_to_a_url_with_credentials_is_not_followed(httpserver, monkeypatch):
    monkeypatch.setenv("TEST_LIVE_TOKEN", "tok-kept-321")
    target = httpserver.url_for("/y").replace("://", "://mallory:hunter2-x@")
    httpserver.expect_request("/x").respond_with_data("", status=302, headers={"Location": target})
    httpserver.expect_request("/y").respond_with_json({"ok": True})
    with pytest.raises(SourceError, match="redirects to a URL with credentials") as caught:
        client().get_json(httpserver.url_for("/x"), what="Test", auth=Auth(bearer_env="TEST_LIVE_TOKEN"))
    assert "hunter2-x" not in str(caught.value)
    assert [r.path for r, _ in httpserver.log] == ["/x"]


def test_a_redirect_on_the_same_server_is_followed_with_the_token(httpserver, monkeypatch):
    monkeypatch.setenv("TEST_LIVE_TOKEN", "tok-same-789")
    httpserver.expect_request("/x").respond_with_data("", status=308, headers={"Location": "/y"})
    httpserver.expect_request("/y").respond_with_json({"ok": True})
    data, _ = client().get_json(httpserver.url_for("/x"), what="Test", auth=Auth(bearer_env="TEST_LIVE_TOKEN"))
    assert data == {"ok": True}
    assert httpserver.log[1][0].headers["Authorization"] == "Bearer tok-same-789"


def test_a_redirect_loop_is_an_error(httpserver):
    httpserver.expect_request("/x").respond_with_data("", status=302, headers={"Location": "/x"})
    with pytest.raises(SourceError, match="more than 5 redirects"):
        client(retries=0).get_json(httpserver.url_for("/x"), what="Test")
    assert len(httpserver.log) == 6


def test_a_body_past_the_cap_is_an_error(httpserver):
    httpserver.expect_request("/x").respond_with_data("[" + "1," * 5000 + "1]", content_type="application/json")
    http = HttpClient(HttpSettings(retries=0), sleep=RecordingSleep(), max_body=4096)
    with pytest.raises(SourceError, match="larger than 4096 bytes once decoded"):
        http.get_json(httpserver.url_for("/x"), what="Test")


def test_a_gzip_bomb_is_capped_after_decoding(httpserver):
    import gzip

    bomb = gzip.compress(b" " * (8 * 2**20))  # 8 MiB of spaces in ~8 KB
    assert len(bomb) < 20_000
    httpserver.expect_request("/x").respond_with_data(bomb, headers={"Content-Encoding": "gzip"},
                                                      content_type="application/json")
    http = HttpClient(HttpSettings(retries=0), sleep=RecordingSleep(), max_body=2**20)
    with pytest.raises(SourceError, match="larger than 1 MiB once decoded"):
        http.get_json(httpserver.url_for("/x"), what="Test")


def test_a_gzip_answer_within_the_cap_is_read(httpserver):
    import gzip

    httpserver.expect_request("/x").respond_with_data(gzip.compress(b'{"ok": true}'),
                                                      headers={"Content-Encoding": "gzip"},
                                                      content_type="application/json")
    data, response = client().get_json(httpserver.url_for("/x"), what="Test")
    assert data == {"ok": True} and "content-encoding" not in response.headers


def test_a_trickling_body_times_out(httpserver):
    from werkzeug import Response

    def trickle(request):
        def chunks():
            for _ in range(30):
                time.sleep(0.1)
                yield b" "
        return Response(chunks(), content_type="application/json")

    httpserver.expect_request("/x").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(SourceError, match="timeout"):
        client(retries=0, timeout=0.5).get_json(httpserver.url_for("/x"), what="Test")
    assert time.monotonic() - started < 2.5  # each read was quick; the whole body was not


@pytest.mark.parametrize(("content_type", "ok"), [
    ("application/json", True), ("application/json; charset=utf-8", True), ("application/vnd.github+json", True),
    ("text/html; charset=utf-8", False), ("text/plain", False), ("", False),
])
def test_only_an_answer_that_says_json_is_read_as_json(httpserver, content_type, ok):
    # The same JSON body each time: a proxy's page that happens to parse is still not the API.
    httpserver.expect_request("/x").respond_with_data('{"ok": true}', headers={"Content-Type": content_type})
    if ok:
        assert client().get_json(httpserver.url_for("/x"), what="Test")[0] == {"ok": True}
    else:
        with pytest.raises(SourceError, match="not JSON"):
            client().get_json(httpserver.url_for("/x"), what="Test")


@pytest.mark.live
def test_trickled_headers_time_out():
    """Each header byte arrives within the per-read timeout; the headers never end. Only a bound
    on the whole attempt stops it (a raw socket server: werkzeug would not send half a header)."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Pad: ")
                while not stop.wait(0.1):
                    try:
                        conn.sendall(b"a")
                    except OSError:
                        break

    threading.Thread(target=serve, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(SourceError, match="timeout"):
            client(retries=0, timeout=0.5).get_json(f"http://127.0.0.1:{listener.getsockname()[1]}/x", what="Test")
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 2.5
