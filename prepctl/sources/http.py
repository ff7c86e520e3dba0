"""The one HTTP client, and the ``HttpSource`` base, that every live source (Prometheus,
Alertmanager, GitHub, Jira) uses.

Why one client: a gate run must finish in bounded time however many criteria hit slow servers,
so timeouts, retries and the total time budget live here, once. Every failure becomes a
``SourceError`` (an ``error`` verdict, never a traceback) whose text went through ``redact``:
servers echo request headers in error pages, and a token must never reach the output.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from prepctl.errors import GateError
from prepctl.secrets import redact, secret_from_env

if TYPE_CHECKING:
    import httpx

    from prepctl.plan.sources import HttpSettings
    from prepctl.sources.context import GateContext
    from prepctl.verdicts import Metric, Verdict

#: Longest part of an error body quoted in a message; enough to show the server's reason.
BODY_EXCERPT = 300
#: Most bytes of one answer read, after gzip/deflate decoding: a query result or alert list is a
#: few MB at most, and a server (or a gzip bomb: kilobytes that inflate to gigabytes) must not be
#: able to fill the memory of a CI runner. Past it the request is an error, not a partial read.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Same-server redirects followed per request (http -> https, a trailing slash); more is a loop.
MAX_REDIRECTS = 5
USER_AGENT = "prepctl (+https://pypi.org/project/prepctl/)"


class SourceError(GateError):
    """Evidence could not be had from a source. The message is redacted on the way in."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(redact(message))
        #: The HTTP status that caused it, when a server answered with one.
        self.status = status


@dataclass(frozen=True)
class Auth:
    """Credentials for one source, read from the environment variables phases.yaml names."""

    bearer_env: str | None = None
    basic_user_env: str | None = None
    scheme: str = "Bearer"

    def headers(self) -> dict[str, str]:
        """The Authorization header, or none when the variable is unset: a server that needs
        a token answers 401, and that error names the variable to set."""
        if self.bearer_env is None:
            return {}
        token = secret_from_env(self.bearer_env)
        if token is None:
            return {}
        if self.basic_user_env is not None:
            import base64

            user = secret_from_env(self.basic_user_env)
            if user is None:
                return {}
            pair = base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
            # The encoded pair is as secret as the token itself.
            from prepctl.secrets import remember

            remember(pair)
            return {"Authorization": f"Basic {pair}"}
        return {"Authorization": f"{self.scheme} {token}"}


def redact_verdict(verdict: Verdict) -> Verdict:
    """Servers put what they like in labels, titles and bodies, a token included: the live gates
    pass their verdicts through here, so no output depends on every format remembering to."""
    from dataclasses import replace

    def clean(value: object) -> object:
        return redact(value) if isinstance(value, str) else value

    def clean_metric(metric: Metric | None) -> Metric | None:
        if metric is None:
            return None
        return replace(metric, name=redact(metric.name), unit=redact(metric.unit),
                       objective=None if metric.objective is None else redact(metric.objective))

    evidence = [replace(e, label=redact(e.label), value=clean(e.value), expected=clean(e.expected),
                        url=clean(e.url), path=clean(e.path), metric=clean_metric(e.metric))
                for e in verdict.evidence]
    return type(verdict).of(verdict.status, redact(verdict.summary), evidence)


def shared_client(ctx: GateContext) -> HttpClient:
    """The run's client: built on first use, so the time budget starts when live work starts."""
    return ctx.shared("http-client", lambda: HttpClient(ctx.plan.model.sources.http))


def safe_url(url: str) -> str:
    """A URL fit for messages and evidence: no query string, no user:password@."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return redact(urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", "")))


class HttpSource:
    """Base of the live HTTP sources (Prometheus, Alertmanager, GitHub, Jira): one server's base URL,
    its credentials from the environment, and JSON requests through the run's ``HttpClient``.

    The client owns what every source needs the same way: timeouts and the run's time budget,
    retries, the response size cap, same-server redirects, fail-closed JSON decoding and the
    redaction of every error. A subclass only says what it asks and how it reads the answer.
    """

    #: Names the source in error messages ("Prometheus", "GitHub acme/prep").
    what = "HTTP source"
    #: Headers every request carries, e.g. the API version GitHub wants.
    headers: Mapping[str, str] | None = None

    def __init__(self, client: HttpClient, base_url: str, auth: Auth | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        #: Shown in evidence and messages: the base URL without credentials or query.
        self.location = safe_url(self.base_url)
        self.auth = auth or Auth()

    def url(self, path_or_url: str) -> str:
        """A path on this server (``/api/v1/query``), or a whole URL the server sent (a next page)."""
        return path_or_url if "://" in path_or_url else self.base_url + path_or_url

    def get_json(self, path_or_url: str, *, params: Any = None) -> tuple[Any, httpx.Response]:
        return self.client.get_json(self.url(path_or_url), what=self.what, params=params,
                                    headers=self.headers, auth=self.auth)

    def post_json(self, path_or_url: str, *, json_body: Any = None,
                  form: Mapping[str, str] | None = None) -> tuple[Any, httpx.Response]:
        return self.client.post_json(self.url(path_or_url), what=self.what, json_body=json_body, form=form,
                                     headers=self.headers, auth=self.auth)


class HttpClient:
    """Timeouts on every request, retries with backoff, and one deadline for the whole run.

    Retried: connection errors and timeouts, 5xx, 429, and 403 rate-limit answers (a
    ``Retry-After`` header, or GitHub's ``X-RateLimit-Remaining: 0``). A server's
    ``Retry-After`` is honoured when it fits in what is left of the budget; otherwise the
    request fails at once, saying when to try again, instead of sleeping past the budget.
    """

    def __init__(self, settings: HttpSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_body: int = MAX_BODY_BYTES):
        import httpx

        self.settings = settings
        self.max_body = max_body
        self._clock = clock
        self._sleep = sleep
        self.deadline = clock() + settings.budget
        # Redirects are followed by hand (see _send): only on the same server, so a token never
        # travels to a host it was not configured for.
        self._client = httpx.Client(timeout=settings.timeout, follow_redirects=False,
                                    headers={"User-Agent": USER_AGENT})
        self._lock = threading.Lock()
        self.requests = 0

    def close(self) -> None:
        self._client.close()

    def remaining(self) -> float:
        return self.deadline - self._clock()

    def request(self, method: str, url: str, *, what: str, params: Any = None,
                json_body: Any = None, form: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None, auth: Auth | None = None) -> httpx.Response:
        """Send one request (with retries) and return a 2xx response, or raise SourceError."""
        import httpx

        where = f"{what}: {method} {safe_url(url)}"
        refuse_userinfo(url, where)
        headers = {**(headers or {}), **(auth.headers() if auth else {})}
        attempt = 0
        while True:
            left = self.remaining()
            if left <= 0:
                raise SourceError(f"{where}: time budget of {self.settings.budget:g}s for live sources "
                                  "used up (sources.http.budget)")
            timeout = min(self.settings.timeout, left)
            with self._lock:
                self.requests += 1
            try:
                request = self._client.build_request(method, url, params=params, json=json_body, data=form,
                                                     headers=headers, timeout=timeout)
                response = self._bounded(request, where, timeout)
            except httpx.TimeoutException:
                failure = f"no answer within {timeout:.3g}s (timeout)"
                delay = self._backoff(attempt)
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.DecodingError) as exc:
                failure = f"the answer broke off or could not be decoded: {_reason(exc)}"
                delay = self._backoff(attempt)
            except httpx.TransportError as exc:
                failure = f"cannot connect: {_reason(exc)}"
                delay = self._backoff(attempt)
            except httpx.InvalidURL as exc:
                raise SourceError(f"{where}: not a usable URL: {_reason(exc)}") from None
            else:
                if response.is_success:
                    return response
                failure = _status_text(response, auth)
                delay = self._retry_delay(response, attempt)
                if delay is None:
                    raise SourceError(f"{where}: {failure}", status=response.status_code)
            if attempt >= self.settings.retries:
                tries = attempt + 1
                raise SourceError(f"{where}: {failure} (gave up after {tries} attempt"
                                  f"{'s' if tries > 1 else ''})")
            if delay > self.remaining():
                raise SourceError(f"{where}: {failure}; the next try would be in {delay:.3g}s, past the "
                                  f"time budget of {self.settings.budget:g}s (sources.http.budget)")
            self._sleep(delay)
            attempt += 1

    def _bounded(self, request: httpx.Request, where: str, timeout: float) -> httpx.Response:
        """One attempt that ends within ``timeout`` seconds whatever the server does.

        httpx's timeout is per socket operation: a server trickling its headers a byte at a time
        resets it with every byte. So the attempt runs in a daemon thread and is abandoned (as a
        timeout) when it overruns; the thread ends when the server gives up, and never holds up
        prepctl's exit."""
        import httpx

        outcome: list[httpx.Response | BaseException] = []

        def attempt() -> None:
            try:
                outcome.append(self._send(request, where, time.monotonic() + timeout))
            except BaseException as exc:  # handed to the caller's thread as is
                outcome.append(exc)

        worker = threading.Thread(target=attempt, name="prepctl-http", daemon=True)
        worker.start()
        # A little grace, so the body's own deadline (a clearer message) fires first.
        worker.join(timeout + 0.5)
        if not outcome:
            raise httpx.ReadTimeout("the answer did not arrive in time", request=request)
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def _send(self, request: httpx.Request, where: str, deadline: float) -> httpx.Response:
        """One attempt: same-server redirects followed, the whole answer read before ``deadline``
        and at most MAX_BODY_BYTES decoded bytes."""
        origin = _origin(request.url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._client.send(request, stream=True)
            try:
                follow = response.next_request if response.is_redirect else None
                if follow is None:
                    return _read_capped(response, where, deadline, self.max_body)
            finally:
                response.close()
            if follow.url.userinfo:
                # httpx would turn them into a Basic header replacing the configured token.
                raise SourceError(f"{where}: HTTP {response.status_code} redirects to a URL with "
                                  "credentials in it (user:password@); prepctl does not follow it",
                                  status=response.status_code)
            if _origin(follow.url) != origin:
                raise SourceError(f"{where}: HTTP {response.status_code} redirects to another server "
                                  f"({safe_url(str(follow.url))}); prepctl follows redirects only on the "
                                  "same scheme, host and port, so a token never leaves its server: put "
                                  "the final address in phases.yaml", status=response.status_code)
            request = follow
        raise SourceError(f"{where}: more than {MAX_REDIRECTS} redirects (a redirect loop?); put the "
                          f"final address in phases.yaml")

    def get_json(self, url: str, *, what: str, params: Any = None, headers: Mapping[str, str] | None = None,
                 auth: Auth | None = None) -> tuple[Any, httpx.Response]:
        response = self.request("GET", url, what=what, params=params, headers=headers, auth=auth)
        return parse_json(response, what), response

    def post_json(self, url: str, *, what: str, json_body: Any = None, form: Mapping[str, str] | None = None,
                  headers: Mapping[str, str] | None = None,
                  auth: Auth | None = None) -> tuple[Any, httpx.Response]:
        response = self.request("POST", url, what=what, json_body=json_body, form=form, headers=headers,
                                auth=auth)
        return parse_json(response, what), response

    def _backoff(self, attempt: int) -> float:
        # Jitter keeps concurrent criteria from retrying in lock-step against one server.
        return self.settings.backoff * (2 ** attempt) * (0.5 + random.random() / 2)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the status is not worth retrying."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        exhausted = response.headers.get("x-ratelimit-remaining") == "0"
        if status == 403 and not (exhausted or retry_after is not None):
            return None
        if status not in (403, 429) and status < 500:
            return None
        if retry_after is not None:
            return retry_after
        if exhausted:
            reset = _epoch_header(response.headers.get("x-ratelimit-reset", ""))
            if reset is not None:
                return max(reset - time.time(), 0.0) + 1.0
        return self._backoff(attempt)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date), never negative.

    None when absent or unreadable ("nan", "inf", "soon"): the caller then backs off as for any
    retryable answer. A date in the past means "now" (0); a huge value stays huge, and the caller
    refuses to wait past its time budget."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = _http_date_delay(value)
    if seconds is None or not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _http_date_delay(value: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    try:
        return when.timestamp() - time.time()
    except (OverflowError, ValueError, OSError):
        return None


def _epoch_header(value: str) -> float | None:
    """A Unix time header such as ``X-RateLimit-Reset``; None unless plain digits that fit."""
    if not value.isdigit() or len(value) > 15:
        return None
    return float(value)


def refuse_userinfo(url: str, where: str) -> None:
    """Refuse a URL that carries ``user:password@``: httpx would turn it into a Basic header
    that replaces the configured token and that ``redact`` never learned. The parts are
    remembered first, so even a message that quoted the URL could not show them."""
    import base64
    import urllib.parse

    from prepctl.secrets import remember

    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return
    userinfo = parts.netloc.rpartition("@")[0]
    password = userinfo.partition(":")[2]
    # Not the bare user name: it is no secret, and hiding every "admin" would mangle output.
    for piece in {userinfo, password, urllib.parse.unquote(userinfo), urllib.parse.unquote(password)}:
        if piece:
            remember(piece)
    remember(base64.b64encode(urllib.parse.unquote(userinfo).encode()).decode("ascii"))
    raise SourceError(f"{where}: the URL carries credentials (user:password@host); prepctl does not "
                      "send them. Remove them from the URL and put the token in an environment "
                      "variable named by the source's token_env")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _read_capped(response: httpx.Response, where: str, deadline: float, limit: int) -> httpx.Response:
    """The response with its body read, decoded, at most ``limit`` bytes, before ``deadline``."""
    import httpx

    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise SourceError(f"{where}: the answer is larger than {_size(limit)} "
                              "once decoded (a runaway query or a compression bomb); prepctl stops "
                              "reading there", status=response.status_code)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the body did not arrive in time", request=response.request)
    # A fresh response holds the decoded bytes, so the encoding headers must not apply twice.
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=bytes(body),
                          request=response.request, extensions=response.extensions)


def parse_json(response: httpx.Response, what: str) -> Any:
    """The body as JSON, from an answer that says it is JSON: a login page, a proxy's error page
    or a catch-all that happens to hold JSON-looking text is not the API that was asked."""
    import json

    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        excerpt = response.text[:80].replace("\n", " ")
        raise SourceError(f"{what}: {safe_url(str(response.request.url))} answered "
                          f"{response.status_code} with Content-Type {media[:60] or '(none)'!r}, not JSON "
                          f"(a login page or a proxy in the way?); body starts {excerpt!r}")
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        excerpt = response.text[:80].replace("\n", " ")
        raise SourceError(f"{what}: {safe_url(str(response.request.url))} answered "
                          f"{response.status_code} with malformed JSON ({exc.__class__.__name__}: "
                          f"{str(exc)[:80]}; body starts {excerpt!r})") from None


def _status_text(response: httpx.Response, auth: Auth | None) -> str:
    text = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if response.status_code == 401:
        if auth is not None and auth.bearer_env:
            text += f" (is {auth.bearer_env} set to a valid token?)"
        else:
            text += " (the server wants a token: name its variable in token_env)"
    remaining = response.headers.get("x-ratelimit-remaining")
    if remaining == "0":
        reset = _epoch_header(response.headers.get("x-ratelimit-reset", ""))
        if reset is not None:
            text += f"; rate limit exhausted until {_utc(reset)}"
        else:
            text += "; rate limit exhausted"
    retry_after = response.headers.get("retry-after")
    if retry_after:
        # Quoted and cut: the header is the server's text, and may be anything.
        shown = retry_after if len(retry_after) <= 40 else retry_after[:40] + "…"
        text += f"; Retry-After {shown}"
        if parse_retry_after(retry_after) is None:
            text += " (not a number of seconds or a date: ignored)"
    body = response.text.strip().replace("\n", " ")
    if body:
        text += f": {body[:BODY_EXCERPT]}{'…' if len(body) > BODY_EXCERPT else ''}"
    return text


def _size(count: int) -> str:
    return f"{count // 2**20} MiB" if count >= 2**20 else f"{count} bytes"


def _reason(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:200]


def _utc(epoch: float) -> str:
    from datetime import datetime

    try:
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{epoch:.0f}"
