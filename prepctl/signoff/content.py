"""What approvers agree to: the RFC's content, named by a digest that re-rendering state leaves alone."""

from __future__ import annotations

import hashlib

from prepctl.errors import PrepctlError
from prepctl.sources import regions

#: RFC regions that report state rather than what was agreed; they are not "content".
RFC_VOLATILE_REGIONS = frozenset({"status", "verdicts", "signoffs"})


def content_digest(text: str, file: str = "<rfc>") -> str:
    """A hash of what approvers agreed to: the RFC without its state-reporting regions."""
    normal = text.replace("\r\n", "\n")
    content = regions.without_bodies(normal, RFC_VOLATILE_REGIONS, file)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def digest_or_raw(text: str) -> str:
    """The content digest, or a hash of the raw bytes for a text whose region markers are broken."""
    # Old versions in git may have broken markers; they still count as a distinct content.
    try:
        return content_digest(text)
    except PrepctlError:
        return "raw:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
