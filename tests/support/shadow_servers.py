"""Small real HTTP apps for the shadow tests: a primary (the monolith's analytics routes), a second
primary instance, and a candidate (the extracted service) with one seeded difference and an
endpoint that answers 500. Every app adds noise: a timestamp and a random request id.

Each app is a stdlib ThreadingHTTPServer on 127.0.0.1 with a free port, run in a thread.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

#: The candidate's seeded bug: it counts one confirmed booking too many.
PRIMARY_CONFIRMED = 290
CANDIDATE_CONFIRMED = 291
#: The host whose summary the candidate fails with a 500.
BROKEN_HOST = 3

_clock_lock = threading.Lock()
_last_micros = 0


def unique_timestamp() -> str:
    """Wall-clock time that never repeats in this process, as real clocks at µs scale rarely do:
    two instances must not return the same timestamp by accident, or noise would look like parity."""
    global _last_micros
    with _clock_lock:
        micros = max(time.time_ns() // 1000, _last_micros + 1)
        _last_micros = micros
    return datetime.fromtimestamp(micros / 1e6, tz=UTC).isoformat()


@dataclass
class AppBehaviour:
    role: str
    seeded_difference: bool = False
    broken_host: int | None = None
    #: Seconds added to every answer (to make latency comparisons unambiguous).
    delay: float = 0.0
    #: Seconds /slow takes (it returns early when the server stops).
    slow_seconds: float = 30.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class AppState:
    behaviour: AppBehaviour
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def methods(self) -> list[str]:
        with self.lock:
            return [s.method for s in self.seen]

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for s in self.seen if s.path == path)


def _handler(state: AppState) -> type[BaseHTTPRequestHandler]:
    behaviour = state.behaviour

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms to each.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.seen.append(Seen(self.command, urlsplit(self.path).path, dict(self.headers), body))
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)

        def _send(self, status: int, payload: object, content_type: str = "application/json") -> None:
            body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            try:
                if behaviour.delay:
                    state.stopping.wait(behaviour.delay)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_POST(self) -> None:
            self._record()
            self._send(201, {"refreshed": True, "by": behaviour.role})

        def do_GET(self) -> None:
            self._record()
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            segments = parts.path.strip("/").split("/")
            if parts.path == "/api/v1/analytics":
                confirmed = CANDIDATE_CONFIRMED if behaviour.seeded_difference else PRIMARY_CONFIRMED
                self._send(200, {"kitchens": 12, "bookings": 340, "confirmed": confirmed,
                                 "generated_at": unique_timestamp(), "request_id": str(uuid.uuid4())})
            elif parts.path == "/api/v1/analytics/bookings":
                days = int(query.get("days", ["7"])[0])
                self._send(200, [{"day": f"2024-03-{d + 1:02d}", "bookings": 10 + d} for d in range(days)])
            elif len(segments) == 4 and segments[:2] == ["analytics", "host"] and segments[3] == "summary":
                host = int(segments[2])
                if host == behaviour.broken_host:
                    self._send(500, {"detail": "internal error"})
                else:
                    self._send(200, {"host_id": host, "kitchens": 2, "bookings": 10 * host,
                                     "request_id": str(uuid.uuid4())})
            elif parts.path == "/echo-auth":
                # Echo the credential back, as careless error pages do, in a field that differs.
                token = self.headers.get("Authorization", "")
                value = token if behaviour.role != "candidate" else f"seen {token}"
                self._send(200, {"auth": value})
            elif parts.path == "/healthz.txt":
                self._send(200, "ok\n" if not behaviour.seeded_difference else "ok (candidate)\n",
                           "text/plain")
            elif parts.path == "/drop":
                # Hang up without answering, once per request; a retrying client would show 2+ hits.
                with state.lock:
                    state.in_flight -= 1
                self.close_connection = True
            elif parts.path == "/slow":
                state.stopping.wait(behaviour.slow_seconds)
                self._send(200, {"slow": True})
            else:
                self._send(404, {"detail": "not found"})

    return Handler


class _Server(ThreadingHTTPServer):
    # The stdlib's listen backlog is 5: more concurrent connects overflow it and the kernel drops
    # SYNs, which clients retry a second later. Real servers listen with a deeper queue.
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that timed out on /slow hangs up before the answer: expected, not a failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass
class RunningApp:
    url: str
    state: AppState


@contextmanager
def serve(behaviour: AppBehaviour) -> Iterator[RunningApp]:
    state = AppState(behaviour)
    server = _Server(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"shadow-{behaviour.role}", daemon=True)
    thread.start()
    try:
        yield RunningApp(f"http://127.0.0.1:{server.server_address[1]}", state)
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def dead_url() -> str:
    """A loopback URL nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Trio:
    primary: RunningApp
    secondary: RunningApp
    candidate: RunningApp


@contextmanager
def serve_trio(primary_delay: float = 0.0, candidate_delay: float = 0.0,
               slow_seconds: float = 30.0) -> Iterator[Trio]:
    with serve(AppBehaviour("primary", delay=primary_delay, slow_seconds=slow_seconds)) as primary, \
            serve(AppBehaviour("secondary", delay=primary_delay, slow_seconds=slow_seconds)) as secondary, \
            serve(AppBehaviour("candidate", seeded_difference=True, broken_host=BROKEN_HOST,
                               delay=candidate_delay, slow_seconds=slow_seconds)) as candidate:
        yield Trio(primary, secondary, candidate)


#: The recorded traffic of the tests: 4 summaries, 3 booking series, 4 host summaries (one on the
#: broken host), a HEAD, and a POST that must not be replayed by default.
REQUESTS_JSONL = "\n".join(json.dumps(r) for r in [
    {"method": "GET", "path": "/api/v1/analytics", "headers": {"Accept": "application/json"}},
    {"method": "GET", "path": "/api/v1/analytics/bookings", "query": {"days": 7}},
    {"method": "GET", "path": "/analytics/host/1/summary"},
    {"method": "GET", "path": "/api/v1/analytics"},
    {"method": "GET", "path": "/api/v1/analytics/bookings?days=14"},
    {"method": "GET", "path": "/analytics/host/2/summary"},
    {"method": "GET", "path": "/api/v1/analytics", "name": "summary again"},
    {"method": "GET", "path": f"/analytics/host/{BROKEN_HOST}/summary"},
    {"method": "HEAD", "path": "/api/v1/analytics/bookings", "query": "days=3"},
    {"method": "GET", "path": "/api/v1/analytics"},
    {"method": "GET", "path": "/analytics/host/4/summary"},
    {"method": "POST", "path": "/api/v1/analytics/refresh", "body": {"scope": "all"}},
]) + "\n"
POST_LINE = 12
SEEDED_LINES = (1, 4, 7, 10)
BROKEN_LINE = 8


def write_requests_file(folder: Path) -> Path:
    """The recorded traffic as ``requests.jsonl`` in ``folder``."""
    path = folder / "requests.jsonl"
    path.write_text(REQUESTS_JSONL, encoding="utf-8")
    return path
