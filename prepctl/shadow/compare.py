"""Compare two answers to the same request: status, chosen headers, and the body.

JSON bodies are compared field by field. Each difference is keyed by a *field*: the JSON path
with list indices folded to ``[*]`` (``$.items[*].ts``), so the same field in every element and
every request is counted together; the concrete path (``$.items[3].ts``) is kept as an example.
Other bodies are compared as text under the field ``body``. Status is ``status``; a header is
``header:<name>``. Ignore patterns match those field names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from prepctl.shadow.replay import Observation


class _Missing:
    """A key or list element present on one side only."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_FIELD_ROOTS = ("$", "status", "body", "header:")
DEFAULT_HEADERS = ("content-type",)


@dataclass(frozen=True)
class FieldDiff:
    #: Folded name used for counting and ignoring, e.g. `$.items[*].ts`.
    field: str
    #: Where it differed in this response, e.g. `$.items[3].ts`.
    path: str
    left: Any
    right: Any


class IgnorePatternError(ValueError):
    pass


def check_ignore_pattern(pattern: str) -> None:
    if not pattern.startswith(_FIELD_ROOTS):
        raise IgnorePatternError(
            f"ignore pattern {pattern!r} must start with '$' (a JSON path such as $.meta.request_id), "
            "'status', 'body' or 'header:NAME'")


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """`*` matches within one key, `**` across keys; `[*]` is any list element. A pattern also
    covers everything below it, so `$.meta` ignores `$.meta.request_id`."""
    check_ignore_pattern(pattern)
    pattern = pattern.replace("[*]", "\0")
    if pattern.startswith("header:"):
        pattern = pattern.lower()
    out = []
    for token in re.split(r"(\*\*|\*|\0)", pattern):
        if token == "**":
            out.append(r".*")
        elif token == "*":
            out.append(r"[^.\[]*")
        elif token == "\0":
            out.append(r"\[\*\]")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out) + r"(?=$|[.\[])")


@dataclass(frozen=True)
class CompareRules:
    #: Response headers compared (case-insensitive); others differ legitimately (Date, Server).
    headers: tuple[str, ...] = DEFAULT_HEADERS
    ignore: tuple[str, ...] = ()

    @cached_property
    def _ignore_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(_pattern_regex(p) for p in self.ignore)

    def ignored(self, field: str) -> bool:
        return any(r.match(field) for r in self._ignore_regexes)


def compare(left: Observation, right: Observation, rules: CompareRules) -> dict[str, FieldDiff]:
    """Differences between two responses, one per field (the first place it differed)."""
    found: dict[str, FieldDiff] = {}

    def add(field: str, path: str, a: Any, b: Any) -> None:
        if field not in found and not rules.ignored(field):
            found[field] = FieldDiff(field, path, a, b)

    if left.status != right.status:
        add("status", "status", left.status, right.status)
    for name in rules.headers:
        a, b = left.header(name), right.header(name)
        if a != b:
            key = f"header:{name.lower()}"
            add(key, key, MISSING if a is None else a, MISSING if b is None else b)
    # Bodies of different statuses are different kinds of answer (an error page vs a result):
    # the status difference is the finding, a field-by-field list would only bury it.
    if left.status == right.status:
        _compare_bodies(left, right, add)
    return found


def _compare_bodies(left: Observation, right: Observation, add: Any) -> None:
    (kind_a, doc_a), (kind_b, doc_b) = left.document, right.document
    if kind_a == "json" and kind_b == "json":
        _walk(doc_a, doc_b, "$", "$", add)
    elif (kind_a, doc_a) != (kind_b, doc_b):
        a = MISSING if kind_a == "empty" else doc_a
        b = MISSING if kind_b == "empty" else doc_b
        if isinstance(a, str) and isinstance(b, str):
            a, b = text_excerpts(a, b)
        add("body", "body", a, b)


def _walk(a: Any, b: Any, path: str, field: str, add: Any) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            step = _key_step(key)
            _walk(a.get(key, MISSING), b.get(key, MISSING), path + step, field + step, add)
    elif isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            _walk(a[index] if index < len(a) else MISSING, b[index] if index < len(b) else MISSING,
                  f"{path}[{index}]", field + "[*]", add)
    elif not same_value(a, b):
        add(field, path, a, b)


def _key_step(key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return "." + key
    return "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


def same_value(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 (Python would say it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def text_excerpts(a: str, b: str, width: int = 60) -> tuple[str, str]:
    """Both texts around their first difference, so a long page shows where it changed."""
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    lo = max(0, start - width // 3)

    def cut(text: str) -> str:
        piece = text[lo:lo + width]
        return ("…" if lo else "") + piece + ("…" if lo + width < len(text) else "")

    return cut(a), cut(b)
