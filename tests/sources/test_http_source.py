"""The one `HttpSource` base: base URL handling, credentials and the client every source shares."""

from __future__ import annotations

from typing import Any

import pytest

from prepctl.sources.http import Auth, HttpSource
from prepctl.sources.metrics.alertmanager import AlertmanagerAPI
from prepctl.sources.metrics.prometheus import PrometheusAPI
from prepctl.sources.trackers.github import API_HEADERS, GitHubAPI
from prepctl.sources.trackers.jira import JiraAPI


class RecordingClient:
    """Stands in for HttpClient: records each call and answers ``answer``."""

    def __init__(self, answer: Any):
        self.answer = answer
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def get_json(self, url: str, **kwargs: Any) -> tuple[Any, None]:
        self.calls.append(("GET", url, kwargs))
        return self.answer, None

    def post_json(self, url: str, **kwargs: Any) -> tuple[Any, None]:
        self.calls.append(("POST", url, kwargs))
        return self.answer, None


def test_base_url_location_and_joining():
    source = HttpSource(RecordingClient(None), "https://reader:pw@prom.example/base/?token=x/")  # type: ignore[arg-type]
    assert source.location == "https://prom.example/base/"
    assert source.url("/api/v1/query") == "https://reader:pw@prom.example/base/?token=x/api/v1/query"
    plain = HttpSource(RecordingClient(None), "https://prom.example/")  # type: ignore[arg-type]
    assert plain.base_url == "https://prom.example"
    assert plain.url("/api/v2/status") == "https://prom.example/api/v2/status"
    assert plain.url("https://prom.example/next?page=2") == "https://prom.example/next?page=2"
    assert plain.auth == Auth()


@pytest.mark.parametrize(("source", "what", "headers"), [
    (lambda c: PrometheusAPI(c, "https://p.example"), "Prometheus", None),
    (lambda c: AlertmanagerAPI(c, "https://a.example"), "Alertmanager", None),
    (lambda c: GitHubAPI(c, "https://api.github.example", "acme/prep"), "GitHub acme/prep", API_HEADERS),
    (lambda c: JiraAPI(c, "https://j.example"), "Jira search", {"Accept": "application/json"}),
])
def test_every_live_source_sends_through_the_shared_client(source, what, headers):
    client = RecordingClient({"ok": True})
    made = source(client)
    assert isinstance(made, HttpSource)
    made.auth = Auth(bearer_env="SOME_TOKEN_ENV")
    assert made.get_json("/x", params={"a": "1"}) == ({"ok": True}, None)
    made.post_json("/y", form={"q": "up"})
    (get, get_url, get_args), (post, post_url, post_args) = client.calls
    assert (get, get_url, post, post_url) == ("GET", made.base_url + "/x", "POST", made.base_url + "/y")
    for args in (get_args, post_args):
        assert args["what"] == what and args["headers"] == headers
        assert args["auth"] == Auth(bearer_env="SOME_TOKEN_ENV")
    assert get_args["params"] == {"a": "1"} and post_args["form"] == {"q": "up"}
