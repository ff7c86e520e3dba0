"""A hostile Prometheus and Alertmanager for the fault corpus: one threaded HTTP server on
127.0.0.1 (a free port) that answers ``/api/v1/query``, ``/api/v1/query_range``,
``/api/v2/status`` and ``/api/v2/alerts`` the way its ``mode`` says.

The ``healthy*`` modes are the controls: prepctl must pass them, which shows the hostile modes fail
for their hostility and not because the stand-in is broken. Every answer is built from the
request (the ``time``/``start``/``end`` it asked for), as a real Prometheus does, so "a day in the
future" means a day after the time prepctl asked about.

Modes are plain names (see ``PROMETHEUS_MODES`` and ``ALERTMANAGER_MODES``); the server records
each request's path, Host and Authorization in ``log`` so a case can check where a token went.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DAY = 86400.0
#: Bytes of padding for the huge-body and gzip-bomb modes: past the client's 32 MiB cap.
HUGE = 40 * 2**20
#: Seconds the slow mode waits: past any timeout a case's plan sets.
SLOW = 5.0


@dataclass(frozen=True)
class Query:
    """What prepctl asked: an instant (``start == end``) or a range."""

    path: str
    start: float
    end: float
    step: float


@dataclass
class Logged:
    path: str
    host: str
    authorization: str


# ---------------------------------------------------------------- Prometheus answers


def _stamps(query: Query, offset: float = 0.0) -> list[float]:
    if query.start == query.end:
        return [query.end + offset]
    count = max(1, min(int((query.end - query.start) / query.step), 500))
    return [query.start + i * (query.end - query.start) / count + offset for i in range(count + 1)]


def _result(query: Query, stamps: list[Any], value: Any = "0.2", labels: dict | None = None) -> dict:
    metric = {"__name__": "latency_seconds", "job": "api", **(labels or {})}
    if query.start == query.end:
        item = {"metric": metric, "value": [stamps[-1], value]}
        kind = "vector"
    else:
        item = {"metric": metric, "values": [[t, value] for t in stamps]}
        kind = "matrix"
    return {"status": "success", "data": {"resultType": kind, "result": [item]}}


def _two(query: Query, fine: dict, breaching: dict) -> dict:
    """Two series: the first fine (0.2), the second over the corpus's threshold of 1 (5)."""
    answer = _result(query, _stamps(query))
    series = []
    for value, labels in (("0.2", fine), ("5", breaching)):
        item = _result(query, _stamps(query), value)["data"]["result"][0]
        item["metric"] = {"__name__": "latency_seconds", **labels}  # exactly these labels
        series.append(item)
    answer["data"]["result"] = series
    return answer


#: Series in the many-series mode: a high-cardinality answer, well under the body cap.
MANY = 100_000


def _many(query: Query) -> dict:
    """MANY fine series and, last of all, one breaching (``instance="breach"``, value 5)."""
    answer = _result(query, _stamps(query))
    template = answer["data"]["result"][0]
    series = [{**template, "metric": {"__name__": "latency_seconds", "instance": f"i{i}"}} for i in range(MANY)]
    breaching = _result(query, _stamps(query), "5")["data"]["result"][0]
    series.append({**breaching, "metric": {"__name__": "latency_seconds", "instance": "breach"}})
    answer["data"]["result"] = series
    return answer


def prometheus_body(mode: str, query: Query, auth: str) -> Any:
    """The JSON a mode answers with (the transport modes wrap the healthy one)."""
    stamped: dict[str, Callable[[], Any]] = {
        "future": lambda: _result(query, _stamps(query, DAY)),
        "future-minute": lambda: _result(query, _stamps(query, 120)),
        "future-last-point": lambda: _result(query, _stamps(query)[:-1] + [query.end + DAY]),
        "stale": lambda: _result(query, _stamps(query, -DAY)),
        "stale-window": lambda: _result(query, [t for t in _stamps(query) if t <= query.end - 1800]
                                        or [query.end - 1800]),
        "epoch-1970": lambda: _result(query, [0.0]),
        "unsorted-points": lambda: _result(query, list(reversed(_stamps(query)))),
        "duplicate-timestamps": lambda: _result(query, _stamps(query) + _stamps(query)[-1:]),
        "nan-value": lambda: _result(query, _stamps(query), "NaN"),
        "inf-value": lambda: _result(query, _stamps(query), "+Inf"),
        "neg-inf-value": lambda: _result(query, _stamps(query), "-Inf"),
        "null-value": lambda: _result(query, _stamps(query), None),
        "huge-value": lambda: _result(query, _stamps(query), "1e300"),
        "nan-timestamp": lambda: _result(query, ["NaN"]),
        "inf-timestamp": lambda: _result(query, ["+Inf"]),
        "huge-timestamp": lambda: _result(query, [1e300]),
        "negative-timestamp": lambda: _result(query, [-1]),
        "string-timestamp": lambda: _result(query, ["yesterday"]),
        "empty": lambda: {"status": "success", "data": {"resultType": "vector" if query.start == query.end
                                                        else "matrix", "result": []}},
        "wrong-result-type": lambda: {"status": "success", "data": {"resultType": "string",
                                                                   "result": [query.end, "0.2"]}},
        "scalar-future": lambda: {"status": "success", "data": {"resultType": "scalar",
                                                               "result": [query.end + DAY, "0.2"]}},
        "status-error": lambda: {"status": "error", "errorType": "bad_data", "error": "parse error"},
        "no-data": lambda: {"status": "success"},
        "null-body": lambda: None,
        "list-body": lambda: [],
        "metric-not-object": lambda: {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": "job=api", "value": [query.end, "0.2"]}]}},
        "values-not-list": lambda: {"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {}, "values": "0.2"}]}},
        "native-histogram": lambda: {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "histogram": [query.end, {"count": "1"}]}]}},
        "echo-auth-label": lambda: _result(query, _stamps(query), labels={"seen": auth}),
        "vector-for-range": lambda: _result(Query(query.path, query.end, query.end, 0.0), [query.end]),
        "success-with-error": lambda: {**_result(query, _stamps(query)), "errorType": "internal",
                                       "error": "store gateway timed out"},
        "data-null": lambda: {"status": "success", "data": None},
        "two-series-one-breaching": lambda: _two(query, {"job": "api"}, {"job": "batch"}),
        "labels-differ-in-case": lambda: _two(query, {"job": "api"}, {"Job": "api"}),
        "many-series-one-breaching": lambda: _many(query),
        "partial-response": lambda: {**_result(query, _stamps(query)),
                                     "warnings": ["partial response: store 10.0.0.7:10901 unavailable"]},
    }
    if mode in stamped:
        return stamped[mode]()
    return _result(query, _stamps(query))


PROMETHEUS_MODES = (
    # JSON shapes
    "healthy", "future", "future-minute", "future-last-point", "stale", "stale-window", "epoch-1970",
    "unsorted-points", "duplicate-timestamps",
    "nan-value", "inf-value", "neg-inf-value", "null-value", "huge-value", "nan-timestamp", "inf-timestamp",
    "huge-timestamp", "negative-timestamp", "string-timestamp", "empty", "wrong-result-type", "scalar-future",
    "status-error", "no-data", "null-body", "list-body", "metric-not-object", "values-not-list",
    "native-histogram", "echo-auth-label", "partial-response", "vector-for-range", "success-with-error",
    "data-null", "two-series-one-breaching", "labels-differ-in-case", "many-series-one-breaching",
    # transport
    "healthy-chunked", "healthy-gzip", "healthy-redirect", "slow", "slow-body", "slow-headers", "truncated",
    "chunked-endless", "chunked-broken", "gzip-bomb", "gzip-broken", "huge-body", "wrong-content-type", "html-200",
    "redirect-other-host", "redirect-loop", "retry-after-nan", "retry-after-inf", "retry-after-negative",
    "retry-after-huge", "retry-after-past-date", "retry-after-far-date", "echo-auth-401", "echo-auth-500",
    "reset-connection", "http10-cut",
)


# ---------------------------------------------------------------- Alertmanager answers


def alert(state: str = "active", silenced: Any = (), inhibited: Any = (), **fields: Any) -> dict:
    """An alert as Alertmanager 0.25 answers it; ``fields`` override."""
    now = time.time()
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - 300))
    ends = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 3600))
    return {"labels": {"alertname": "ApiDown", "severity": "sev1", "service": "api"},
            "annotations": {"summary": "API down"}, "receivers": [{"name": "blackhole"}],
            "fingerprint": "f00dfeed", "startsAt": f"{iso}.123456789Z", "updatedAt": f"{iso}.5Z",
            "endsAt": f"{ends}Z",
            "status": {"state": state, "silencedBy": list(silenced) if isinstance(silenced, tuple) else silenced,
                       "inhibitedBy": list(inhibited) if isinstance(inhibited, tuple) else inhibited},
            **fields}


ALERTS: dict[str, Callable[[], Any]] = {
    "healthy": lambda: [],
    "healthy-silenced": lambda: [alert("suppressed", ["5e1f-silence"])],
    "healthy-inhibited": lambda: [alert("suppressed", (), ["abc-inhibitor"])],
    "firing": lambda: [alert()],
    "firing-unprocessed": lambda: [alert("unprocessed")],
    "silenced-by-string": lambda: [alert(silenced="oops")],
    "silenced-by-empty-id": lambda: [alert(silenced=[""])],
    "silenced-by-null": lambda: [alert(silenced=[None])],
    "silenced-by-object": lambda: [alert(silenced={"id": "x"})],
    "inhibited-by-string": lambda: [alert(inhibited="yes")],
    "active-yet-silenced": lambda: [alert(silenced=["5e1f"])],
    "suppressed-by-nothing": lambda: [alert("suppressed")],
    "unknown-state": lambda: [alert("resolved")],
    "state-missing": lambda: [{**alert(), "status": {"silencedBy": [], "inhibitedBy": []}}],
    "label-not-string": lambda: [alert(labels={"alertname": "ApiDown", "severity": 1, "service": "api"})],
    "labels-missing": lambda: [{k: v for k, v in alert().items() if k != "labels"}],
    "starts-at-garbage": lambda: [alert(startsAt="yesterday")],
    "starts-at-impossible": lambda: [alert(startsAt="2026-02-30T00:00:00Z")],
    "ends-before-start": lambda: [alert(endsAt="2001-01-01T00:00:00Z")],
    "fingerprint-missing": lambda: [alert(fingerprint=None)],
    "alert-not-object": lambda: ["ApiDown"],
    "alerts-not-list": lambda: {"alerts": []},
    "alerts-null": lambda: None,
    # endsAt passed, yet Alertmanager still lists it as active (a resolve not yet processed,
    # or a clock skew): the state is what counts, the alert may still be firing.
    "ended-yet-active": lambda: [alert(endsAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60)))],
    "one-bad-among-good": lambda: [alert("suppressed", ["5e1f"]), alert(silenced="oops", fingerprint="bad1")],
}

ALERTMANAGER_MODES = (*ALERTS, "not-alertmanager")


# ---------------------------------------------------------------- the server


class _Handler(BaseHTTPRequestHandler):
    server: FakeServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # quiet: the corpus's output is prepctl's

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer()

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer()

    def _answer(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("latin-1")) if length else {}
        auth = self.headers.get("Authorization", "")
        self.server.log.append(Logged(parsed.path, self.headers.get("Host", ""), auth))
        try:
            if parsed.path.startswith("/api/v2/"):
                self._alertmanager(parsed.path)
            elif parsed.path.startswith("/api/v1/"):
                self._prometheus(parsed.path.removesuffix("/moved"), form, auth)
            else:
                self._send(404, b"no such path", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # prepctl hung up (a cap or a timeout did its job)

    # ------------------------------------------------------------ Alertmanager

    def _alertmanager(self, path: str) -> None:
        mode = self.server.mode
        path = path.removesuffix("/moved")
        if path == "/api/v2/status":
            body = {"hello": "world"} if mode == "not-alertmanager" else \
                {"versionInfo": {"version": "0.25.0"}, "uptime": "2026-01-01T00:00:00Z", "cluster": {}}
        elif path == "/api/v2/alerts":
            body = ALERTS.get(mode, ALERTS["healthy"])()
        else:
            self._send(404, b"no such path", "text/plain")
            return
        # The transport modes (slow, bombs, redirects...) wrap Alertmanager's answers too.
        transport = getattr(self, "_mode_" + mode.replace("-", "_"), None)
        if transport is not None:
            transport(json.dumps(body).encode(), self.headers.get("Authorization", ""))
        else:
            self._json(body)

    # ------------------------------------------------------------ Prometheus

    def _prometheus(self, path: str, form: dict[str, list[str]], auth: str) -> None:
        mode = self.server.mode
        if path == "/api/v1/query":
            at = float(form.get("time", [time.time()])[0])
            query = Query(path, at, at, 0.0)
        elif path == "/api/v1/query_range":
            query = Query(path, float(form["start"][0]), float(form["end"][0]), float(form["step"][0]))
        else:
            self._send(404, b"no such path", "text/plain")
            return
        healthy = json.dumps(prometheus_body("healthy", query, auth)).encode()
        transport = getattr(self, "_mode_" + mode.replace("-", "_"), None)
        if transport is not None:
            transport(healthy, auth)
            return
        self._json(prometheus_body(mode, query, auth))

    def _mode_healthy_chunked(self, body: bytes, auth: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 7):
            piece = body[start:start + 7]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def _mode_healthy_gzip(self, body: bytes, auth: str) -> None:
        self._send(200, gzip.compress(body), "application/json", {"Content-Encoding": "gzip"})

    def _mode_healthy_redirect(self, body: bytes, auth: str) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path.endswith("/moved"):
            self._send(200, body, "application/json")
        else:
            moved = urllib.parse.urlunsplit(("", "", parts.path + "/moved", parts.query, ""))
            self._send(307, b"", "text/plain", {"Location": moved})

    def _mode_slow(self, body: bytes, auth: str) -> None:
        time.sleep(SLOW)
        self._send(200, body, "application/json")

    def _mode_slow_body(self, body: bytes, auth: str) -> None:
        # Each byte comes quickly enough for a per-read timeout; the whole body never does in time.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        deadline = time.monotonic() + SLOW * 2
        for byte in body:
            if time.monotonic() > deadline:
                break
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)

    def _mode_slow_headers(self, body: bytes, auth: str) -> None:
        # Slowloris in reverse: the headers never end, each byte well within a per-read timeout.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: ")
        self.wfile.flush()
        deadline = time.monotonic() + SLOW * 2
        while time.monotonic() < deadline:
            self.wfile.write(b"a")
            self.wfile.flush()
            time.sleep(0.2)
        self.close_connection = True

    def _mode_truncated(self, body: bytes, auth: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) + 1000))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True

    def _mode_chunked_endless(self, body: bytes, auth: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        piece = b" " * 65536
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))

    def _mode_chunked_broken(self, body: bytes, auth: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"zz\r\n" + body + b"\r\n0\r\n\r\n")
        self.close_connection = True

    def _mode_gzip_bomb(self, body: bytes, auth: str) -> None:
        # Kilobytes on the wire, 40 MiB of whitespace and then a healthy answer once inflated:
        # without a cap on the decoded size it would even pass.
        packer = _BOMB_PREFIX.copy()
        self._send(200, _BOMB_HEAD + packer.compress(body) + packer.flush(), "application/json",
                   {"Content-Encoding": "gzip"})

    def _mode_gzip_broken(self, body: bytes, auth: str) -> None:
        self._send(200, gzip.compress(body)[:-12] + b"garbage!", "application/json", {"Content-Encoding": "gzip"})

    def _mode_huge_body(self, body: bytes, auth: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(HUGE + len(body)))
        self.end_headers()
        block = b" " * 2**20
        for _ in range(HUGE // len(block)):
            self.wfile.write(block)
        self.wfile.write(body)

    def _mode_wrong_content_type(self, body: bytes, auth: str) -> None:
        self._send(200, body, "text/html; charset=utf-8")

    def _mode_html_200(self, body: bytes, auth: str) -> None:
        self._send(200, b"<html><body><h1>Sign in</h1><form>...</form></body></html>", "text/html")

    def _mode_redirect_other_host(self, body: bytes, auth: str) -> None:
        # Same port, another host name: another origin, where the token must never go.
        host = "localhost" if self.headers.get("Host", "").startswith("127.") else "127.0.0.1"
        port = self.server.server_address[1]
        self._send(302, b"", "text/plain", {"Location": f"http://{host}:{port}/stolen{self.path}"})

    def _mode_redirect_loop(self, body: bytes, auth: str) -> None:
        self._send(302, b"", "text/plain", {"Location": self.path})

    def _retry_after(self, value: str) -> None:
        self._send(429, b"slow down", "text/plain", {"Retry-After": value})

    def _mode_retry_after_nan(self, body: bytes, auth: str) -> None:
        self._retry_after("nan")

    def _mode_retry_after_inf(self, body: bytes, auth: str) -> None:
        self._retry_after("inf")

    def _mode_retry_after_negative(self, body: bytes, auth: str) -> None:
        self._retry_after("-1")

    def _mode_retry_after_huge(self, body: bytes, auth: str) -> None:
        self._retry_after("1e300")

    def _mode_retry_after_past_date(self, body: bytes, auth: str) -> None:
        self._retry_after("Wed, 21 Oct 2015 07:28:00 GMT")

    def _mode_retry_after_far_date(self, body: bytes, auth: str) -> None:
        self._retry_after("Fri, 31 Dec 9999 23:59:59 GMT")

    def _mode_echo_auth_401(self, body: bytes, auth: str) -> None:
        self._send(401, f"unauthorized: you sent {auth}".encode(), "text/plain")

    def _mode_echo_auth_500(self, body: bytes, auth: str) -> None:
        self._json({"status": "error", "errorType": "internal", "error": f"backend rejected {auth}"}, 500)

    def _mode_http10_cut(self, body: bytes, auth: str) -> None:
        # HTTP/1.0 without Content-Length: the body ends where the connection closes, so a cut
        # mid-body looks like a complete answer to the transport; only the JSON can tell.
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body[: len(body) * 2 // 3])
        self.wfile.flush()
        self.close_connection = True

    def _mode_reset_connection(self, body: bytes, auth: str) -> None:
        self.close_connection = True
        self.connection.shutdown(2)

    # ------------------------------------------------------------ plumbing

    def _json(self, body: Any, status: int = 200) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def _bomb_prefix() -> tuple[bytes, Any]:
    """The gzip stream of HUGE spaces, once; each answer copies the compressor to add its tail."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = packer.compress(b" " * HUGE) + packer.flush(zlib.Z_SYNC_FLUSH)
    return head, packer


_BOMB_HEAD, _BOMB_PREFIX = _bomb_prefix()


class FakeServer(ThreadingHTTPServer):
    """The fake: a mode, and a log of what it was sent. Port 0 lets the kernel pick a free one."""

    daemon_threads = True

    def __init__(self, mode: str = "healthy") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.log: list[Logged] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def fake_server(mode: str) -> Iterator[FakeServer]:
    """A fake in ``mode`` on a free port, serving until the block ends."""
    server = FakeServer(mode)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
