"""Reading recorded requests: JSONL and HAR, and clear errors (file:line, what to do) on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prepctl import secrets
from prepctl.errors import PrepctlError
from prepctl.shadow.recorded import load_requests, parse_requests
from tests.support.paths import EXAMPLE


def test_jsonl_fields_defaults_and_line_numbers():
    text = "\n".join([
        json.dumps({"path": "/api/v1/analytics"}),
        "",
        json.dumps({"method": "get", "path": "/api/v1/analytics/bookings?days=7",
                    "query": {"tag": ["a", "b"], "flag": True}, "headers": {"Accept": "application/json",
                                                                            "Host": "old", "Content-Length": "9"}}),
        json.dumps({"method": "POST", "path": "/api/v1/bookings", "body": {"kitchen_id": 3}, "name": "write"}),
        json.dumps({"method": "PUT", "path": "http://monolith.internal/x?y=1", "body": "raw text"}),
    ])
    first, second, third, fourth = parse_requests(text, "rec.jsonl")
    assert (first.method, first.target, first.line, first.index) == ("GET", "/api/v1/analytics", 1, 1)
    assert second.line == 3 and second.method == "GET"
    assert second.target == "/api/v1/analytics/bookings?days=7&tag=a&tag=b&flag=true"
    # Hop-by-hop headers describe the recording's connection, not the request: not replayed.
    assert second.headers == (("Accept", "application/json"),)
    assert third.body == b'{"kitchen_id":3}' and ("Content-Type", "application/json") in third.headers
    assert not third.side_effect_free and third.name == "write" and third.where == "rec.jsonl:4"
    assert fourth.target == "/x?y=1" and fourth.body == b"raw text"


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "not valid JSON"),
    ('["GET", "/x"]', "must be a JSON object"),
    ('{"path": "/x", "heders": {}}', "unknown key 'heders'"),
    ('{"pth": "/x"}', "unknown key 'pth'"),
    ('{"method": "GET"}', "missing required key 'path'"),
    ('{"method": "G E T", "path": "/x"}', "is not an HTTP method"),
    ('{"path": "x/y"}', "must start with '/'"),
    ('{"path": "ftp://h/x"}', "is not an HTTP path"),
    ('{"path": "/x", "query": {"a": {"b": 1}}}', "query.a must be"),
    ('{"path": "/x", "headers": {"A": 1}}', "headers.A"),
])
def test_jsonl_errors_name_file_and_line(line: str, message: str):
    with pytest.raises(PrepctlError) as caught:
        parse_requests('{"path": "/ok"}\n' + line + "\n", "rec.jsonl")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == ("rec.jsonl", 2)
    assert message in problem.message


def test_every_bad_line_is_reported_not_just_the_first():
    with pytest.raises(PrepctlError) as caught:
        parse_requests('nope\n{"path": "/ok"}\n{"pth": "/x"}\n', "rec.jsonl")
    assert [p.line for p in caught.value.problems] == [1, 3]


def test_empty_and_missing_files_are_clear_errors(tmp_path: Path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(PrepctlError, match="no requests in file"):
        load_requests(empty)
    with pytest.raises(PrepctlError, match="requests file not found"):
        load_requests(tmp_path / "absent.jsonl")


def _har(entries: list) -> str:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "test"}, "entries": entries}}, indent=1)


def test_har_entries_become_requests():
    text = _har([
        {"request": {"method": "GET", "url": "https://api.prep.example/api/v1/analytics/bookings?days=30",
                     "headers": [{"name": ":authority", "value": "api.prep.example"},
                                 {"name": "Accept", "value": "application/json"},
                                 {"name": "Accept-Encoding", "value": "gzip, br"}],
                     "queryString": [{"name": "days", "value": "30"}]}},
        {"request": {"method": "POST", "url": "https://api.prep.example/api/v1/bookings", "headers": [],
                     "postData": {"mimeType": "application/json", "text": "{\"user_id\": 1}"}}},
    ])
    get, post = parse_requests(text, "capture.har")
    assert get.target == "/api/v1/analytics/bookings?days=30"
    assert get.headers == (("Accept", "application/json"),)
    assert get.where == "capture.har entry 1"
    assert post.body == b'{"user_id": 1}' and ("Content-Type", "application/json") in post.headers


def test_har_is_recognised_without_the_suffix():
    text = _har([{"request": {"method": "GET", "url": "http://h/x", "headers": []}}])
    assert parse_requests(text, "capture.json")[0].target == "/x"


def test_bad_har_names_the_entry_or_line():
    with pytest.raises(PrepctlError) as caught:
        parse_requests('{"log": {"entries": [\n  {"request": {"method": "GET"}}\n]}}', "capture.har")
    assert "log.entries[0]" in caught.value.problems[0].message
    with pytest.raises(PrepctlError) as caught:
        parse_requests('{"log":\n  {"entries": [}\n}', "capture.har")
    assert caught.value.problems[0].line == 2


def test_recorded_credentials_are_registered_for_redaction():
    token = "tok-4f8a9c2e-load-test"
    cookie = "session=cookie-77a1-load-test"
    key = "querykey-5521-load-test"
    parse_requests(json.dumps({"path": "/x", "query": {"api_key": key},
                               "headers": {"Authorization": f"Bearer {token}", "Cookie": cookie}}), "r.jsonl")
    echoed = f"server said: {token} / {cookie} / {key}"
    assert secrets.redact(echoed) == "server said: *** / *** / ***"


def test_the_example_request_file_loads():
    requests = load_requests(EXAMPLE / "shadow" / "requests.jsonl")
    assert len(requests) >= 10
    assert {r.method for r in requests} >= {"GET", "HEAD", "POST"}
