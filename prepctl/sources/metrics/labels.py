"""Label sets of a series, and Prometheus-style label matchers (``name="v"``, ``!=``, ``=~``,
``!~``), shared by the Alertmanager source and the offline metrics snapshot so both agree on what
a matcher selects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A series' labels, sorted by name: hashable and comparable.
Labels = tuple[tuple[str, str], ...]


def labels_of(mapping: dict[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')


@dataclass(frozen=True)
class LabelMatcher:
    """``name="v"``, ``name!="v"``, ``name=~"re"``, ``name!~"re"`` (regexes fully anchored)."""

    name: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> LabelMatcher:
        match = _MATCHER.match(text)
        if not match:
            raise ValueError(f"matcher {text!r} must look like severity=~\"sev0|sev1\" or service=\"api\"")
        name, op, raw = match.groups()
        value = _unquote(raw)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"matcher {text!r}: bad regular expression: {exc}") from None
        return cls(name, op, value)

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in ('"', "'"):
        inner = raw[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), inner)
    return raw
