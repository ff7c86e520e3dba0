"""Recorded requests to replay, read from JSONL (one request per line) or a HAR export.

JSONL line: ``{"method": "GET", "path": "/api/v1/analytics", "query": {"days": 7},
"headers": {"Accept": "application/json"}, "body": null, "name": "summary"}``; only ``path``
is required. A HAR file is what a browser's network tab or a proxy exports (``log.entries``).

Credentials in recorded headers are replayed as recorded (the services need them) but their
values are registered with ``prepctl.secrets`` so every output can redact them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from prepctl import secrets
from prepctl.errors import PrepctlError, Problem

#: Methods that must not change anything on the server; only these replay by default.
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Headers that describe one hop or one connection, not the request itself: the replaying client
# sets its own. accept-encoding is dropped so a recorded `br` cannot ask for a codec httpx lacks.
HOP_HEADERS = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
                         "trailer", "upgrade", "proxy-connection", "accept-encoding"})
_METHOD = re.compile(r"[A-Z][A-Z0-9_-]*")
_SENSITIVE_QUERY = frozenset({"access_token", "token", "api_key", "apikey", "key", "password"})
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class RecordedRequest:
    """One request to replay, with where it came from so reports can point back at it."""

    index: int
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    source: str = "<requests>"
    #: JSONL line number; None for HAR entries (which are addressed by ``index``).
    line: int | None = None
    name: str | None = None

    @property
    def target(self) -> str:
        """Path and query, as sent to every side."""
        return self.path + ("?" + urlencode(self.query) if self.query else "")

    @property
    def side_effect_free(self) -> bool:
        return self.method in SAFE_METHODS

    @property
    def label(self) -> str:
        """`METHOD /path?query` with tokens redacted: safe to print."""
        return secrets.redact(f"{self.method} {self.target}")

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else f"{self.source} entry {self.index}"


class _JsonlRecord(BaseModel):
    # Unknown keys are refused so a typo ("heders") cannot silently drop the headers.
    model_config = ConfigDict(extra="forbid")

    method: str = "GET"
    path: str
    query: dict[str, Any] | str | None = None
    headers: dict[str, str] = {}
    body: Any = None
    name: str | None = None


def load_requests(path: str | Path) -> list[RecordedRequest]:
    """Read a JSONL or HAR file. Bad input raises PrepctlError naming file:line and the fix."""
    from prepctl.fileio import read_input_text

    text = read_input_text(path, what="requests file",
                           missing_hint="record requests as JSONL or export a HAR file")
    return parse_requests(text, str(path))


def parse_requests(text: str, source: str) -> list[RecordedRequest]:
    """Parse request-file text; the format comes from the suffix, or is sniffed (HAR has `log`)."""
    requests = _parse_har(text, source) if _is_har(text, source) else _parse_jsonl(text, source)
    if not requests:
        raise PrepctlError(Problem(file=source, message="no requests in file",
                                   hint="add one JSON object per line, e.g. "
                                        '{"method": "GET", "path": "/api/v1/analytics"}'))
    for request in requests:
        _remember_credentials(request)
    return requests


def _is_har(text: str, source: str) -> bool:
    suffix = Path(source).suffix.lower()
    if suffix == ".har":
        return True
    if suffix in (".jsonl", ".ndjson"):
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and "log" in document


def _parse_jsonl(text: str, source: str) -> list[RecordedRequest]:
    requests: list[RecordedRequest] = []
    problems: list[Problem] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            request = _jsonl_request(raw_line, source, number, len(requests) + 1)
        except _BadRecord as bad:
            problems.append(Problem(file=source, line=number, message=bad.message, hint=bad.hint))
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        requests.append(request)
    if problems:
        raise PrepctlError(problems)
    return requests


class _BadRecord(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def _jsonl_request(raw_line: str, source: str, line: int, index: int) -> RecordedRequest:
    try:
        data = json.loads(raw_line)
    except ValueError as exc:
        raise _BadRecord(f"not valid JSON: {exc}", "each line must be one JSON object") from None
    if not isinstance(data, dict):
        raise _BadRecord("a request must be a JSON object", '{"method": "GET", "path": "/..."}')
    try:
        record = _JsonlRecord.model_validate(data)
    except ValidationError as exc:
        # A typo'd key also makes the intended key look missing: name the typo, it is the cause.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        key = ".".join(str(p) for p in first["loc"]) or "request"
        if first["type"] == "extra_forbidden":
            guess = difflib.get_close_matches(key, list(_JsonlRecord.model_fields), n=1)
            raise _BadRecord(f"unknown key '{key}'", f"did you mean '{guess[0]}'?" if guess else
                             "allowed keys: " + ", ".join(_JsonlRecord.model_fields)) from None
        if first["type"] == "missing":
            raise _BadRecord(f"missing required key '{key}'", '"path": "/api/v1/..." is required') from None
        raise _BadRecord(f"{key}: {first['msg']}") from None
    method = _method(record.method)
    path, query = _split_target(record.path)
    query += _query_pairs(record.query)
    headers = dict(record.headers)
    body = _body(record.body, headers)
    return RecordedRequest(index=index, method=method, path=path, query=tuple(query),
                           headers=_replayable_headers(headers.items()), body=body,
                           source=source, line=line, name=record.name)


def _method(value: str) -> str:
    method = value.strip().upper()
    if not _METHOD.fullmatch(method):
        raise _BadRecord(f"method {value!r} is not an HTTP method", "use e.g. GET, HEAD or POST")
    return method


def _split_target(target: str) -> tuple[str, list[tuple[str, str]]]:
    """Accept `/path?query` or a full recorded URL; only path and query are replayed."""
    parts = urlsplit(target)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise _BadRecord(f"path {target!r} is not an HTTP path", "write it as /path?query")
    path = parts.path or "/"
    if not path.startswith("/"):
        raise _BadRecord(f"path {target!r} must start with '/'", "write it as /api/v1/...")
    return path, parse_qsl(parts.query, keep_blank_values=True)


def _query_pairs(query: Mapping[str, Any] | str | None) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict | list):
                raise _BadRecord(f"query.{key} must be a string, number or list of them")
            pairs.append((key, _scalar_text(item)))
    return pairs


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _body(body: Any, headers: dict[str, str]) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    # A JSON value recorded as JSON is sent as JSON, labelled so unless the recording says otherwise.
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _replayable_headers(items: Any) -> tuple[tuple[str, str], ...]:
    kept = []
    for name, value in items:
        name = str(name)
        if name.startswith(":") or name.lower() in HOP_HEADERS:
            continue
        kept.append((name, str(value)))
    return tuple(kept)


def _parse_har(text: str, source: str) -> list[RecordedRequest]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise PrepctlError(Problem(file=source, line=line, message=f"not valid HAR (JSON): {exc}",
                                   hint="export the HAR again, or use JSONL")) from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise PrepctlError(Problem(file=source, message="HAR file has no log.entries list",
                                   hint="export 'Save all as HAR' from the browser or proxy"))
    requests: list[RecordedRequest] = []
    problems: list[Problem] = []
    for number, entry in enumerate(entries, start=1):
        try:
            requests.append(_har_request(entry, source, number))
        except _BadRecord as bad:
            problems.append(Problem(file=source, message=f"log.entries[{number - 1}]: {bad.message}",
                                    hint=bad.hint))
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise PrepctlError(problems)
    return requests


def _har_request(entry: Any, source: str, index: int) -> RecordedRequest:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict):
        raise _BadRecord("entry has no request object")
    method = request.get("method")
    url = request.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise _BadRecord("request needs a string 'method' and 'url'")
    path, query = _split_target(url)
    header_list = request.get("headers") or []
    if not isinstance(header_list, list) or not all(
            isinstance(h, dict) and isinstance(h.get("name"), str) for h in header_list):
        raise _BadRecord("request.headers must be a list of {name, value}")
    headers = {h["name"]: str(h.get("value", "")) for h in header_list}
    body: bytes | None = None
    post = request.get("postData")
    if isinstance(post, dict):
        if isinstance(post.get("text"), str):
            body = post["text"].encode("utf-8")
        elif isinstance(post.get("params"), list):
            body = urlencode([(p.get("name", ""), p.get("value", "")) for p in post["params"]]).encode()
        if post.get("mimeType") and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = str(post["mimeType"])
    return RecordedRequest(index=index, method=_method(method), path=path, query=tuple(query),
                           headers=_replayable_headers(headers.items()), body=body, source=source)


def _remember_credentials(request: RecordedRequest) -> None:
    """Register recorded credentials so redact() hides them wherever they are echoed."""
    for name, value in request.headers:
        if name.lower() in secrets.SENSITIVE_HEADERS:
            secrets.remember(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.isalpha():
                secrets.remember(credential.strip())
    for key, value in request.query:
        if key.lower() in _SENSITIVE_QUERY:
            secrets.remember(value)
