"""Label sets of a series, and Prometheus-style label matchers (``name="v"``, ``!=``, ``=~``,
``!~``), shared by the Alertmanager source and the offline metrics snapshot so both agree on what
a matcher selects.

Regexes follow RE2, the syntax Prometheus and Alertmanager (Go's ``regexp``) accept: Python's
``re`` would take lookarounds and backreferences (``(?!info).*``) that Alertmanager rejects, so a
plan could pass ``validate`` and then fail against the real server, or match differently when
prepctl evaluates a snapshot locally. Like Prometheus, a regex is anchored at both ends
(``^(?:re)$``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import re2

#: A series' labels, sorted by name: hashable and comparable.
Labels = tuple[tuple[str, str], ...]


def labels_of(mapping: dict[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')
#: RE2 (C++) accepts these, Go's regexp as Debian's Prometheus 2.42 / Alertmanager 0.25 are built
#: does not: ``\C`` (any byte) always, ``(?<name>...)`` before Go 1.22. Refused so that a regex
#: prepctl accepts loads in every Prometheus and Alertmanager a plan may meet.
_GO_REJECTS = re.compile(r"(?<!\\)(?:\\\\)*(\\C|\(\?<(?![=!]))")


class CompiledRegex(Protocol):
    def fullmatch(self, text: str) -> object | None: ...


class RegexError(ValueError):
    """A regex that Prometheus/Alertmanager (RE2 syntax) would refuse; the message says why."""


@lru_cache(maxsize=512)
def compile_re2(pattern: str) -> CompiledRegex:
    """Compile ``pattern`` with RE2 semantics, anchored as Prometheus anchors it; RegexError if
    Prometheus or Alertmanager would reject it."""
    go_only = _GO_REJECTS.search(pattern)
    if go_only:
        raise RegexError(f"{go_only.group(1)!r} is not RE2 syntax as Prometheus and Alertmanager "
                         "accept it")
    options = re2.Options()
    options.log_errors = False  # RE2 would otherwise print every refusal on stderr
    try:
        # Prometheus compiles "^(?:" + re + ")$": the same anchoring, so `a|b` never matches `ab`.
        return re2.compile(f"^(?:{pattern})$", options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(f"{reason} (Prometheus and Alertmanager take RE2 syntax: no lookaround, "
                         "backreferences or possessive quantifiers)") from None


@dataclass(frozen=True)
class LabelMatcher:
    """``name="v"``, ``name!="v"``, ``name=~"re"``, ``name!~"re"`` (regexes RE2, fully anchored)."""

    name: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            compile_re2(self.value)  # RegexError now, not at the first match

    @classmethod
    def parse(cls, text: str) -> LabelMatcher:
        match = _MATCHER.match(text)
        if not match:
            raise ValueError(f"matcher {text!r} must look like severity=~\"sev0|sev1\" or service=\"api\"")
        name, op, raw = match.groups()
        value = _unquote(raw)
        try:
            return cls(name, op, value)
        except RegexError as exc:
            raise ValueError(f"matcher {text!r}: bad regular expression: {exc}") from None

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = compile_re2(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in ('"', "'"):
        inner = raw[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), inner)
    return raw
