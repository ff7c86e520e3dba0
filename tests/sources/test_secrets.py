"""No token appears in any output: every format, `--out` files, baselines, and the error paths
where servers echo the request's Authorization header back (as real ones do in error pages)."""

from __future__ import annotations

import json
import re

from werkzeug import Request, Response

from tests.support.live_servers import free_port, slo, write_live_plan

TOKEN = "prom-secret-token-5f3a9c"
GH_TOKEN = "ghp_notreal0123456789abcdefSECRET"
FORMATS = ("table", "json", "markdown", "junit", "github")
ENV = {"TEST_PROM_TOKEN": TOKEN, "TEST_GH_TOKEN": GH_TOKEN}


def echoing_prometheus(status: int):
    def handle(request: Request) -> Response:
        seen = request.headers.get("Authorization", "")
        if status == 200:
            return Response(json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"auth": seen}, "value": [float(request.form["time"]), "0.1"]}]}}),
                content_type="application/json")
        return Response(json.dumps({"status": "error", "errorType": "auth", "error": f"rejected {seen}"}),
                        status=status, content_type="application/json")
    return handle


def prom_plan(tmp_path, url: str):
    return write_live_plan(tmp_path, {"prometheus": {"url": url, "token_env": "TEST_PROM_TOKEN"},
                                      "http": {"timeout": 2, "retries": 1, "backoff": 0.01}},
                           criteria=[slo([{"name": "latency", "query": "latency_seconds", "pass": "< 1"}])])


def assert_clean(text: str) -> None:
    assert TOKEN not in text and GH_TOKEN not in text
    # Not even a recognisable piece of one.
    assert "5f3a9c" not in text and "SECRET" not in text


def test_error_paths_in_every_format(httpserver, tmp_path, cli):
    httpserver.expect_request("/api/v1/query").respond_with_handler(echoing_prometheus(401))
    path = prom_plan(tmp_path, httpserver.url_for(""))
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = cli("-c", path, "gate", "p", "--format", fmt, "--out", out, env=ENV)
        assert result.code == 2, (fmt, result.stdout, result.stderr)
        assert "rejected Bearer ***" in result.stdout or fmt == "junit" and "rejected Bearer ***" in out.read_text()
        assert_clean(result.stdout + result.stderr + out.read_text())
    # The server did get the token: the test would prove nothing if it had not been sent.
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_pass_that_echoes_the_token_in_labels(httpserver, tmp_path, cli):
    httpserver.expect_request("/api/v1/query").respond_with_handler(echoing_prometheus(200))
    path = prom_plan(tmp_path, httpserver.url_for(""))
    for fmt in ("table", "json"):
        result = cli("-c", path, "gate", "p", "--format", fmt, env=ENV)
        assert result.code == 0, result.stdout + result.stderr
        assert_clean(result.stdout + result.stderr)
        assert "***" in result.stdout


def test_server_errors_and_a_dead_server(httpserver, tmp_path, cli):
    httpserver.expect_request("/api/v1/query").respond_with_handler(echoing_prometheus(500))
    for url in (httpserver.url_for(""), f"http://127.0.0.1:{free_port()}"):
        result = cli("-c", prom_plan(tmp_path, url), "gate", "p", "--format", "json", env=ENV)
        assert result.code == 2
        assert_clean(result.stdout + result.stderr)


URL_PASSWORD = "hunter2-url-password-77"


def test_credentials_in_a_url_are_refused_at_validate_time(tmp_path, cli):
    # Someone put the password into a URL: it would reach every report, so the plan is refused
    # with the place to put it instead (token_env), and the password is never shown. The password
    # is in no environment variable: the masking cannot rely on redact knowing it.
    sources = {
        "prometheus": {"url": f"http://reader:{URL_PASSWORD}@127.0.0.1:9/prom?access_token=x"},
        "alertmanager": {"url": f"https://am:{URL_PASSWORD}@am.example"},
        "github": {"api_url": f"https://{URL_PASSWORD}@ghe.example/api/v3", "repo": "a/b"},
        "jira": {"url": f"https://jira:{URL_PASSWORD}@jira.example"},
    }
    path = write_live_plan(tmp_path, sources, criteria=[
        {"id": "c", "kind": "command", "title": "t", "run": ["curl", f"http://u:{URL_PASSWORD}@x.example/"]}])
    result = cli("-c", path, "validate")
    assert result.code == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if "carries credentials" in line]
    assert len(lines) == 5, result.stderr
    for line in lines:
        assert re.match(rf"prepctl: {re.escape(str(path))}:\d+:\d+: ", line) and "token_env" in line
    assert "http://reader:***@127.0.0.1:9/prom carries" in result.stderr
    assert "https://***@ghe.example/api/v3 carries" in result.stderr
    assert URL_PASSWORD not in result.stdout + result.stderr and "access_token" not in result.stderr
    # The same refusal before a gate runs: nothing is sent anywhere.
    gate = cli("-c", path, "gate", "p", "--format", "json")
    assert gate.code == 2 and gate.stdout == "" and URL_PASSWORD not in gate.stderr


def test_credentials_brought_in_by_an_env_variable_are_refused_too(tmp_path, cli):
    path = write_live_plan(tmp_path, {"prometheus": {"url": "${TEST_PROM_URL}"},
                                      "alertmanager": {"url": "${TEST_AM_URL}"}}, criteria=[
        {"id": "c", "kind": "command", "title": "t", "run": ["true"]}])
    env = {"TEST_PROM_URL": f"http://reader:{URL_PASSWORD}@127.0.0.1:9", "TEST_AM_URL": "http://127.0.0.1:9"}
    result = cli("-c", path, "validate", env=env)
    assert result.code == 2 and "http://reader:***@127.0.0.1:9 carries credentials" in result.stderr, \
        result.stderr
    # Not even a valid URL: the validator's own message quotes it, and must not show the password.
    result = cli("-c", path, "validate", env={**env, "TEST_AM_URL": f"htp://am:{URL_PASSWORD}@127.0.0.1:9"})
    assert result.code == 2 and "'htp://am:***@127.0.0.1:9' is not an http(s) URL" in result.stderr
    assert URL_PASSWORD not in result.stdout + result.stderr


def test_an_ssh_url_with_a_user_name_is_not_a_credential(tmp_path, cli):
    path = write_live_plan(tmp_path, {}, criteria=[
        {"id": "c", "kind": "command", "title": "t", "run": ["git", "ls-remote", "ssh://git@example.com/r"]}])
    result = cli("-c", path, "validate")
    assert result.code == 0, result.stderr


def test_a_token_too_short_to_redact_is_refused(tmp_path, cli):
    # A 3-character token could only be hidden by mangling every word that contains it: refused,
    # at the token_env that names it.
    path = prom_plan(tmp_path, "http://127.0.0.1:9")
    result = cli("-c", path, "validate", env={"TEST_PROM_TOKEN": "a1b"})
    assert result.code == 2
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "token_env" in text)
    assert f"{path}:{line}:" in result.stderr
    assert "$TEST_PROM_TOKEN holds a 3-character token; tokens shorter than 8 characters are refused" \
        in result.stderr
    assert "a1b" not in result.stderr
    # Unset, or long enough: fine.
    assert cli("-c", path, "validate", env={"TEST_PROM_TOKEN": ""}).code == 0
    assert cli("-c", path, "validate", env={"TEST_PROM_TOKEN": "abcdefgh"}).code == 0


def test_short_secrets_are_redacted_as_whole_words_only():
    from prepctl.secrets import redact

    # Not remembered globally (other tests share the process): passed as extras.
    assert redact("user bob logged in; bobby and kebob stay", extra=["bob"]) == \
        "user *** logged in; bobby and kebob stay"
    assert redact("x", extra=["x"]) == "***"
    assert redact("token=abcdefgh1 and abcdefgh1x", extra=["abcdefgh1"]) == "token=*** and ***x"


def test_validation_errors_never_echo_a_token(tmp_path, cli):
    # The slo condition parser quotes the bad value; the value holds the token.
    path = write_live_plan(tmp_path, {"prometheus": {"url": "http://127.0.0.1:9", "token_env": "TEST_PROM_TOKEN"}},
                           criteria=[slo([{"name": "l", "query": "q", "pass": f"< {TOKEN}"}])])
    result = cli("-c", path, "validate", env=ENV)
    assert result.code == 2 and "***" in result.stderr, result.stderr
    assert_clean(result.stdout + result.stderr)


def test_baseline_capture_errors(httpserver, tmp_path, cli):
    httpserver.expect_request("/api/v1/query").respond_with_handler(echoing_prometheus(401))
    result = cli("-c", prom_plan(tmp_path, httpserver.url_for("")), "baseline", "capture", "p", env=ENV)
    assert result.code == 2 and "rejected Bearer ***" in result.stderr
    assert_clean(result.stdout + result.stderr)
    assert not (tmp_path / "baselines").exists()


def test_github_rate_limit_error_echoing_the_token(httpserver, tmp_path, cli):
    def handle(request: Request) -> Response:
        seen = request.headers.get("Authorization", "")
        return Response(json.dumps({"message": f"API rate limit exceeded for {seen}"}), status=403,
                        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"},
                        content_type="application/json")

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handle)
    path = write_live_plan(tmp_path, {"github": {"api_url": httpserver.url_for("").rstrip("/"), "repo": "acme/prep",
                                                 "token_env": "TEST_GH_TOKEN"}},
                           criteria=[{"id": "i", "kind": "issues", "title": "i", "github": {"labels": ["P1"]}}])
    for fmt in ("table", "json", "github"):
        result = cli("-c", path, "gate", "p", "--format", fmt, env=ENV)
        assert result.code == 2
        assert "rate limit exhausted until 2100-01-01" in result.stdout
        assert_clean(result.stdout + result.stderr)
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {GH_TOKEN}"


def test_verdicts_themselves_are_redacted(httpserver, tmp_path, monkeypatch):
    # Not only the formats: the gate's own verdict (what history and documents receive) is clean.
    from tests.support.live_servers import only_criterion

    monkeypatch.setenv("TEST_PROM_TOKEN", TOKEN)
    httpserver.expect_request("/api/v1/query").respond_with_handler(echoing_prometheus(200))
    result = only_criterion(prom_plan(tmp_path, httpserver.url_for("")))
    text = result.verdict.summary + repr(result.verdict.evidence)
    assert 'auth="Bearer ***"' in text
    assert_clean(text)


def test_a_token_wrapped_across_lines_is_redacted_whole():
    from prepctl.secrets import REDACTED, redact, remember

    token = "wrapTOKEN-1234567890abcdef"
    remember(token)
    for echoed in (f"token={token[:9]}\n{token[9:]} end",          # folded at a column
                   f"token={token[:5]}\\\n    {token[5:]} end",     # shell continuation, indented
                   f"> token={token[:12]}\r\n> {token[12:]} end"):  # a quoted reply
        shown = redact(echoed)
        assert token[:5] not in shown and token[-5:] not in shown, shown
        assert shown.startswith(("token=", "> token=")) and shown.endswith(f"{REDACTED} end"), shown
    assert redact("wrapTOKEN\nsomething else") == "wrapTOKEN\nsomething else"  # a prefix alone is text
