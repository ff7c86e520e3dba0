"""Send each recorded request to the primary, the candidate and (optionally) the secondary.

Safety first, because the primary is usually production:
- only GET/HEAD unless side effects are explicitly allowed;
- at most ``concurrency`` recorded requests in flight, started at most ``rate`` per second;
- every request has a timeout, and the whole run a deadline;
- no retries: a retry would hide exactly the failures a parity check exists to find;
- a connection failure or timeout becomes a failed ``Observation`` with its kind, never a crash.

The sides of one request are sent at the same moment so time-dependent fields (timestamps) are as
close as they can be; what still differs between the two primaries is noise (see ``noise``).
"""

from __future__ import annotations

import asyncio
import errno
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from prepctl import secrets
from prepctl.errors import PrepctlError, Problem
from prepctl.shadow.recorded import RecordedRequest

if TYPE_CHECKING:
    import ssl

    import httpx

PRIMARY = "primary"
CANDIDATE = "candidate"
SECONDARY = "secondary"
SIDES = (PRIMARY, CANDIDATE, SECONDARY)

#: Failure kinds, as reported under "errors" and in gate evidence.
CONNECTION_REFUSED = "connection refused"
TIMEOUT = "timeout"


@dataclass(frozen=True)
class Targets:
    """Base URLs of the sides. A path prefix in a base URL is kept (`http://h/internal` + `/x`)."""

    primary: str
    candidate: str
    secondary: str | None = None

    def __post_init__(self) -> None:
        for side, url in self.items():
            check_base_url(url, side)

    def items(self) -> list[tuple[str, str]]:
        found = [(PRIMARY, self.primary), (CANDIDATE, self.candidate)]
        if self.secondary:
            found.append((SECONDARY, self.secondary))
        return found

    def display(self) -> dict[str, str]:
        return {side: display_url(url) for side, url in self.items()}


def check_base_url(url: str, side: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PrepctlError(Problem(file=f"--{side}", message=f"{display_url(url)!r} is not an http(s) URL",
                                   hint="give a base URL such as http://127.0.0.1:8000"))
    if parts.query or parts.fragment:
        raise PrepctlError(Problem(file=f"--{side}", message="a base URL takes no query or fragment",
                                   hint="put query parameters in the requests file"))
    if parts.password:
        secrets.remember(parts.password)


def display_url(url: str) -> str:
    """The URL without any user:password, and with known secrets redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return secrets.redact(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))


@dataclass(frozen=True)
class ReplaySettings:
    #: Recorded requests in flight at once (each fans out to 2 or 3 sides).
    concurrency: int = 8
    #: Recorded requests started per second at most; 0 means no cap.
    rate: float = 50.0
    #: Seconds one side may take for one request (connect to last body byte).
    timeout: float = 10.0
    #: Seconds the whole replay may take; requests not finished by then are reported as not run.
    max_seconds: float = 300.0
    allow_side_effects: bool = False
    #: Bodies beyond this are cut (and marked) so one huge response cannot exhaust memory.
    max_body_bytes: int = 4 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise PrepctlError("--concurrency must be at least 1")
        if self.rate < 0 or self.timeout <= 0 or self.max_seconds <= 0:
            raise PrepctlError("--rate must be >= 0, --timeout and --max-seconds > 0")


@dataclass(frozen=True)
class Observation:
    """What one side answered for one request, or how it failed."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float | None = None
    #: Failure kind ("connection refused", "timeout", ...) when no response came back.
    failure: str | None = None
    #: The failure's message, redacted.
    detail: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.failure is None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @cached_property
    def document(self) -> tuple[str, Any]:
        """The body as ("json", value), ("text", str) or ("empty", None), parsed once."""
        if not self.body:
            return ("empty", None)
        text = self.body.decode("utf-8", errors="replace")
        if "json" in (self.header("content-type") or "").lower() and not self.truncated:
            try:
                return ("json", json.loads(text, parse_constant=_refuse_constant))
            except ValueError:
                pass  # a body that claims JSON but is not is compared as text
        return ("text", text)


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python would accept them and then NaN != NaN forever.
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Exchange:
    request: RecordedRequest
    primary: Observation
    candidate: Observation
    secondary: Observation | None = None

    def side(self, name: str) -> Observation | None:
        return {PRIMARY: self.primary, CANDIDATE: self.candidate, SECONDARY: self.secondary}[name]


@dataclass(frozen=True)
class Skipped:
    request: RecordedRequest
    reason: str


@dataclass
class ReplayResult:
    exchanges: list[Exchange]
    skipped: list[Skipped]
    #: Replayable requests the deadline cut off (never started, or cancelled in flight).
    not_run: list[RecordedRequest]
    deadline_reached: bool
    seconds: float


class RateLimiter:
    """Start at most ``rate`` operations per second, evenly spaced so nothing bursts."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    async def wait(self) -> None:
        if not self._interval:
            return
        # Reserve the slot before sleeping (no await in between, so no lock is needed on one loop).
        now = self._clock()
        start = now if self._next is None or self._next < now else self._next
        self._next = start + self._interval
        if start > now:
            await self._sleep(start - now)


def partition(requests: Iterable[RecordedRequest], allow_side_effects: bool
              ) -> tuple[list[RecordedRequest], list[Skipped]]:
    replay: list[RecordedRequest] = []
    skipped: list[Skipped] = []
    for request in requests:
        if request.side_effect_free or allow_side_effects:
            replay.append(request)
        else:
            skipped.append(Skipped(request, f"{request.method} not replayed: it may change data; "
                                            "allow it with --allow-side-effects (allow_side_effects: true)"))
    return replay, skipped


#: ``on_progress(done, total, label)``: ``done`` of ``total`` replayable requests answered on
#: every side, ``label`` the last one's method and path (untrusted text: a presenter must make it
#: inert). Called on the event loop's thread; the command draws it, so replay imports no terminal
#: library.
ProgressCallback = Callable[[int, int, str], None]


def replay(requests: list[RecordedRequest], targets: Targets, settings: ReplaySettings,
           on_progress: ProgressCallback | None = None) -> ReplayResult:
    """Replay synchronously (runs its own event loop; call it from a thread, not inside a loop)."""
    return asyncio.run(replay_async(requests, targets, settings, on_progress))


async def replay_async(requests: list[RecordedRequest], targets: Targets,
                       settings: ReplaySettings, on_progress: ProgressCallback | None = None) -> ReplayResult:
    import httpx

    started = time.perf_counter()
    to_send, skipped = partition(requests, settings.allow_side_effects)
    if on_progress is not None:
        on_progress(0, len(to_send), "")
    sides = targets.items()
    done: dict[int, Exchange] = {}
    pending = iter(to_send)
    limiter = RateLimiter(settings.rate)
    # One TLS context for every client: loading the CA bundle costs ~20 ms each time.
    # (It honours SSL_CERT_FILE / SSL_CERT_DIR, for services behind a private CA.)
    tls = httpx.create_ssl_context()

    async def worker() -> None:
        # Each worker has its own client per side, holding one connection. httpcore's shared pool
        # scans every connection for every queued request, which at 16 workers x 3 sides costs
        # more CPU than the requests themselves; a worker sends one request per side at a time.
        clients = [_client(settings, tls) for _ in sides]
        try:
            for request in pending:
                await limiter.wait()
                observed = await asyncio.gather(
                    *(_send(client, request, base, settings) for client, (_, base) in zip(clients, sides,
                                                                                          strict=True)))
                by_side = dict(zip((side for side, _ in sides), observed, strict=True))
                done[request.index] = Exchange(request, by_side[PRIMARY], by_side[CANDIDATE],
                                               by_side.get(SECONDARY))
                if on_progress is not None:
                    on_progress(len(done), len(to_send), progress_label(request))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    workers = [asyncio.create_task(worker()) for _ in range(min(settings.concurrency, len(to_send)))]
    deadline_reached = False
    try:
        async with asyncio.timeout(settings.max_seconds):
            await asyncio.gather(*workers)
    except TimeoutError:
        deadline_reached = True
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    exchanges = [done[r.index] for r in to_send if r.index in done]
    not_run = [r for r in to_send if r.index not in done]
    return ReplayResult(exchanges=exchanges, skipped=skipped, not_run=not_run,
                        deadline_reached=deadline_reached, seconds=time.perf_counter() - started)


def progress_label(request: RecordedRequest) -> str:
    """``METHOD /path`` without the query string (where tokens travel), known secrets redacted."""
    return secrets.redact(f"{request.method} {request.target.partition('?')[0]}")


def _client(settings: ReplaySettings, tls: ssl.SSLContext) -> httpx.AsyncClient:
    import httpx

    # retries=0 and no redirects: every failure and every redirect is evidence, not something to
    # smooth over. trust_env=False: proxy variables must not reroute shadow traffic elsewhere.
    transport = httpx.AsyncHTTPTransport(retries=0, verify=tls, limits=httpx.Limits(max_connections=1,
                                                                         max_keepalive_connections=1))
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(settings.timeout),
                             follow_redirects=False, trust_env=False)


async def _send(client: httpx.AsyncClient, request: RecordedRequest, base: str,
                settings: ReplaySettings) -> Observation:
    url = base.rstrip("/") + request.target
    started = time.perf_counter()
    try:
        # httpx's timeout bounds each phase; this bounds the whole request, slow drips included.
        async with asyncio.timeout(settings.timeout):
            async with client.stream(request.method, url, headers=list(request.headers),
                                     content=request.body) as response:
                body, truncated = await _read_body(response, settings.max_body_bytes)
    except Exception as exc:  # any failure on one side is that side's answer, never a crash
        return Observation(failure=failure_kind(exc), detail=secrets.redact(_message(exc)),
                           seconds=time.perf_counter() - started)
    return Observation(status=response.status_code,
                       headers={k.lower(): v for k, v in response.headers.items()},
                       body=body, seconds=time.perf_counter() - started, truncated=truncated)


async def _read_body(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def failure_kind(exc: BaseException) -> str:
    """Name a transport failure the way an operator would ("connection refused", "timeout")."""
    import httpx

    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return TIMEOUT
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return CONNECTION_REFUSED
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
    if isinstance(exc, httpx.ConnectError):
        return "connect error"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol error"
    if isinstance(exc, httpx.TransportError | OSError):
        return "network error"
    # Anything else failed before reaching the network (e.g. a header httpx cannot encode).
    return f"request error ({type(exc).__name__})"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    stack = [exc]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.append(current)
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
    return seen


def _message(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
