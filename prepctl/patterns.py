"""Module patterns, as used in phases.yaml: `prep.analytics`, `prep.models.domains.*`,
`prep.compliance.*_compliance_engine`, `**.tests`.

A pattern is matched segment by segment against dotted module names. ``*`` (and ``?``,
``[...]``) match within one segment; a ``**`` segment matches any number of segments, none
included. A module matches when a *prefix* of it matches the whole pattern: a pattern names a
module or package together with everything below it (import-linter's convention), so
``prep.analytics`` covers ``prep.analytics.queries`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from functools import lru_cache

_WILD = frozenset("*?[")


@lru_cache(maxsize=1024)
def _segments(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.strip().split("."))


def is_wild(pattern: str) -> bool:
    return any(ch in _WILD for ch in pattern)


def match_root(pattern: str, module: str) -> str | None:
    """The prefix of ``module`` that matches ``pattern`` (its "root"), or None."""
    if not is_wild(pattern):
        if module == pattern or module.startswith(pattern + "."):
            return pattern
        return None
    parts = module.split(".")
    length = _match(_segments(pattern), 0, parts, 0)
    return ".".join(parts[:length]) if length else None


def _match(pattern: tuple[str, ...], i: int, parts: list[str], j: int) -> int | None:
    if i == len(pattern):
        return j
    segment = pattern[i]
    if segment == "**":
        for k in range(j, len(parts) + 1):
            found = _match(pattern, i + 1, parts, k)
            if found:
                return found
        return None
    if j < len(parts) and fnmatchcase(parts[j], segment):
        return _match(pattern, i + 1, parts, j + 1)
    return None


def matches(patterns: Iterable[str], module: str) -> bool:
    return any(match_root(p, module) is not None for p in patterns)


def select(patterns: Iterable[str], modules: Iterable[str]) -> set[str]:
    """The modules matching any pattern."""
    patterns = list(patterns)
    return {m for m in modules if any(match_root(p, m) is not None for p in patterns)}


def units(pattern: str, modules: Iterable[str]) -> dict[str, set[str]]:
    """Group the modules a pattern matches by their matched root.

    ``prep.models.domains.*`` -> {"prep.models.domains.bookings": {...}, "...kitchens": {...}}:
    each root is one unit, e.g. for an independence contract.
    """
    out: dict[str, set[str]] = {}
    for module in modules:
        root = match_root(pattern, module)
        if root is not None:
            out.setdefault(root, set()).add(module)
    return out


def validate(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid module pattern, or None."""
    if not pattern or pattern != pattern.strip():
        return "empty pattern, or spaces around it"
    for segment in pattern.split("."):
        if not segment:
            return f"{pattern!r} has an empty segment (two dots, or a leading/trailing dot)"
        if segment != "**" and "**" in segment:
            return f"{pattern!r}: '**' must be a whole segment, as in 'prep.**.tests'"
        if not is_wild(segment) and not segment.isidentifier():
            return f"{pattern!r}: {segment!r} is not a Python name"
    return None
