"""Keep secrets out of output. Tokens come from environment variables named in phases.yaml;
anything that may echo them (errors, evidence, reports, history) goes through ``redact``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping

REDACTED = "***"
#: Header names whose values are credentials wherever they appear.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie",
                               "x-api-key", "x-auth-token", "private-token", "x-jira-token"})
_SENSITIVE_PARAM = re.compile(r"(?i)([?&](?:access_token|token|api_key|apikey|key|password)=)[^&\s]+")

_known: set[str] = set()
_lock = threading.Lock()


def secret_from_env(name: str) -> str | None:
    """Read a token from the environment and remember it so ``redact`` can hide it later."""
    value = os.environ.get(name)
    if value:
        remember(value)
    return value or None


def remember(value: str) -> None:
    if len(value) >= 4:
        with _lock:
            _known.add(value)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Replace every known secret (and token-like query parameters) in ``text``."""
    with _lock:
        secrets = sorted({*_known, *(e for e in extra if e and len(e) >= 4)}, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _SENSITIVE_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()}
