"""Criterion strings of an ``slo`` objective and how a value compares with them.

A criterion is ``OP NUMBER`` (``< 0.3``), ``OP baseline [* F | + N | - N]`` (``<= baseline * 1.10``)
or, Keptn-style, ``OP`` followed by a signed change from the baseline (``<=+10%``, ``>=-5%``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prepctl.errors import GateError
from prepctl.slo.samples import num

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda v, t: v <= t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    ">": lambda v, t: v > t,
    "==": lambda v, t: v == t,
    "=": lambda v, t: v == t,
    "!=": lambda v, t: v != t,
}
_NUMBER = r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
_CONDITION = re.compile(r"^\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Condition:
    """One parsed criterion: ``value OP threshold`` where the threshold may depend on a baseline."""

    text: str
    op: str
    how: Literal["absolute", "percent", "delta", "factor", "offset"]
    number: float

    @property
    def relative(self) -> bool:
        return self.how != "absolute"

    def threshold(self, baseline: float | None) -> float:
        if not self.relative:
            return self.number
        if baseline is None:
            raise GateError(f"criterion '{self.text}' is relative to a baseline, and there is none")
        if self.how == "percent":
            return baseline * (1 + self.number / 100)
        if self.how == "factor":
            return baseline * self.number
        return baseline + self.number  # delta, offset

    def holds(self, value: float, threshold: float) -> bool:
        return _OPS[self.op](value, threshold)

    def describe(self, baseline: float | None) -> str:
        op = "==" if self.op == "=" else self.op
        if not self.relative:
            return f"{op} {num(self.number)}"
        if self.how == "percent":
            how = f"baseline {num(baseline)} {self.number:+g}%"
        elif self.how == "factor":
            how = f"baseline {num(baseline)} * {self.number:g}"
        else:
            how = f"baseline {num(baseline)} {self.number:+g}"
        return f"{op} {num(self.threshold(baseline))} ({how})"


def parse_condition(text: str) -> Condition:
    condition = _parse_condition(text)
    # float("1e999") is inf: "< 1e999" would hold for every value, so would "<=+1e999%".
    if not math.isfinite(condition.number):
        raise ValueError(f"criterion {text!r}: the number is too large to compare with")
    return condition


def _parse_condition(text: str) -> Condition:
    match = _CONDITION.match(text)
    if not match:
        raise ValueError(f"criterion {text!r} must start with <, <=, >, >=, == or !=, e.g. '<= 0.8' "
                         "or '<=+10%'")
    op, rhs = match.group(1), match.group(2).replace(" ", "")
    number = f"(?:{_NUMBER})"
    if re.fullmatch(rf"[+-]{number}%", rhs):
        return Condition(text, op, "percent", float(rhs[:-1]))
    if re.fullmatch(rf"[+-]{number}", rhs):
        return Condition(text, op, "delta", float(rhs))
    if re.fullmatch(number, rhs):
        return Condition(text, op, "absolute", float(rhs))
    if rhs == "baseline":
        return Condition(text, op, "factor", 1.0)
    found = re.fullmatch(rf"baseline\*({number})|({number})\*baseline", rhs)
    if found:
        return Condition(text, op, "factor", float(found.group(1) or found.group(2)))
    found = re.fullmatch(rf"baseline/({number})", rhs)
    if found and float(found.group(1)) != 0:
        return Condition(text, op, "factor", 1 / float(found.group(1)))
    found = re.fullmatch(rf"baseline([+-])({number})", rhs)
    if found:
        sign = -1 if found.group(1) == "-" else 1
        return Condition(text, op, "offset", sign * float(found.group(2)))
    raise ValueError(f"criterion {text!r}: after the operator write a number (0.8), a change from "
                     "the baseline (+10%, -0.05) or baseline [* 1.1 | + 0.05]")


def checked_conditions(value: str | list[str] | None) -> str | list[str] | None:
    for item in as_list(value):
        if not isinstance(item, str):
            raise ValueError(f"criterion {item!r} must be a string such as '<= 0.8'")
        parse_condition(item)
    if isinstance(value, list) and not value:
        raise ValueError("give at least one criterion, e.g. '<= 0.8'")
    return value


def as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
