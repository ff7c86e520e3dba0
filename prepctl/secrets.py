"""Keep secrets out of output. Tokens come from environment variables named in phases.yaml;
anything that may echo them (errors, evidence, reports, history) goes through ``redact``.

Every value is redacted, whatever its length. A value of ``MIN_TOKEN_LENGTH`` characters or more
is replaced wherever it occurs; a shorter one only where it stands alone (not inside a longer
word), because replacing every "a" in a report would destroy it. Such a short value is therefore
not hidden inside longer text, which is why ``load_plan`` refuses a ``token_env`` token shorter
than ``MIN_TOKEN_LENGTH`` instead of pretending to protect it.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "***"
#: Header names whose values are credentials wherever they appear.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie",
                               "x-api-key", "x-auth-token", "private-token", "x-jira-token"})
_SENSITIVE_PARAM = re.compile(r"(?i)([?&](?:access_token|token|api_key|apikey|key|password)=)[^&\s]+")
#: Shorter secrets are redacted only as whole tokens, and refused as ``token_env`` tokens.
MIN_TOKEN_LENGTH = 8
#: A short secret next to a letter or digit is part of a longer word and is left alone.
_WORD_CHARS = "A-Za-z0-9"
#: Keys in phases.yaml whose value names an environment variable holding a credential.
SECRET_ENV_KEYS = ("token_env", "user_env")
#: ``scheme://user:password@``: the password is hidden wherever such a URL is shown.
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/?#@\s:]*):[^/?#@\s]*@")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://([^/?#@\s]*)@")
#: Where a server or a log wraps a long line: a line break, maybe after a backslash continuation,
#: then indentation or a quote/comment marker. A token may be cut by one anywhere.
_WRAP = r"(?:\\?\r?\n[ \t>#|*]*)?"

_known: set[str] = set()
_lock = threading.Lock()


def secret_from_env(name: str) -> str | None:
    """Read a token from the environment and remember it so ``redact`` can hide it later."""
    value = os.environ.get(name)
    if value:
        remember(value)
    return value or None


def remember(value: str) -> None:
    """Hide ``value`` from now on, and the forms a server may echo it in (see ``encoded_forms``)."""
    if value:
        with _lock:
            _known.add(value)
            _known.update(encoded_forms(value))


def encoded_forms(value: str) -> set[str]:
    """How a server or a library may echo a secret without its literal text: percent-encoded (a
    redirect or an access-log line), JSON-escaped, hex, and base64 (standard and URL-safe) at each
    of the three byte alignments, so it is found inside a longer base64 text too (``user:TOKEN``
    of a Basic header). Forms shorter than ``MIN_TOKEN_LENGTH`` are left out: as common words
    they would redact ordinary text, and a token that short is refused anyway."""
    raw = value.encode("utf-8", "surrogatepass")
    forms = {urllib.parse.quote(value, safe=""), urllib.parse.quote(value), urllib.parse.quote_plus(value),
             json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], raw.hex(), raw.hex().upper()}
    for shift in range(3):
        # With `shift` unknown bytes before it and any after, only these characters are the token's.
        first, last = -(-4 * shift // 3), (8 * (shift + len(raw))) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(b"\0" * shift + raw).decode("ascii")[first:last])
    return {f for f in forms if len(f) >= MIN_TOKEN_LENGTH and f != value}


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Replace every known secret (and token-like query parameters) in ``text``; see the module
    docstring for short ones."""
    with _lock:
        secrets = sorted({*_known, *(e for e in extra if e)}, key=len, reverse=True)
    short = [s for s in secrets if len(s) < MIN_TOKEN_LENGTH]
    for secret in secrets:
        if len(secret) >= MIN_TOKEN_LENGTH:
            text = text.replace(secret, REDACTED)
    if "\n" in text:
        wrapped = _wrapped_pattern(tuple(s for s in secrets if len(s) >= MIN_TOKEN_LENGTH))
        if wrapped is not None:
            text = wrapped.sub(REDACTED, text)
    if short:
        alone = "|".join(re.escape(s) for s in short)
        text = re.sub(rf"(?<![{_WORD_CHARS}])(?:{alone})(?![{_WORD_CHARS}])", REDACTED, text)
    # Each pattern needs these literal characters to match; testing for them first skips a regex
    # search at every position of a text that cannot hold one (most evidence, on every report).
    if "@" in text and "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    if "=" in text:
        text = _SENSITIVE_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    return text


@functools.lru_cache(maxsize=8)
def _wrapped_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """Every long secret with a possible line wrap between any two of its characters (a server
    that wraps at 76 columns, a log line folded mid-token)."""
    if not secrets:
        return None
    return re.compile("|".join(_WRAP.join(re.escape(ch) for ch in secret) for secret in secrets))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()}


@dataclass(frozen=True)
class UrlCredential:
    """Credentials written into a URL: ``masked`` is the URL as it may be shown."""

    masked: str
    user: str
    password: str | None


def url_credentials(text: str) -> list[UrlCredential]:
    """Userinfo in URLs inside ``text``: any ``user:password@``, and a bare ``user@`` in http(s)
    URLs (where it is usually a token: ``https://TOKEN@host``; ``ssh://git@host`` is not)."""
    found = []
    for match in _URL_USERINFO.finditer(text):
        scheme, userinfo = match.group(1), match.group(2)
        user, colon, password = userinfo.partition(":")
        if not colon and scheme.lower() not in ("http", "https"):
            continue
        shown = f"{user}:{REDACTED}" if colon else REDACTED
        # Host and path only: a query string may hold a token as well.
        rest = re.split(r"[\s?#]", text[match.end():], maxsplit=1)[0]
        found.append(UrlCredential(masked=f"{scheme}://{shown}@{rest}", user=user,
                                   password=password if colon else None))
    return found


def secret_env_refs(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(key path, variable name) of every ``token_env``/``user_env`` in plain config data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SECRET_ENV_KEYS and isinstance(value, str):
                yield (*path, key), value
            else:
                yield from secret_env_refs(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from secret_env_refs(value, (*path, index))
