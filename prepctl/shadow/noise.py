"""Tell real differences from noise, the way Diffy does.

Per endpoint and field, count the requests where primary and candidate differ (*raw*) and where
primary and secondary differ (*noise*: two instances of the same known-good code disagreeing,
as timestamps and request ids do). A field is a real difference only when

- raw > noise,
- relative difference  |raw - noise| / (raw + noise) × 100  >  the relative threshold (%), and
- absolute difference  |raw - noise| / requests × 100        >  the absolute threshold (%).

The formulas and defaults (20 % and 0.03 %) are Diffy's. Without a secondary there is nothing to
measure noise with, so every differing field counts (ignore known-volatile fields explicitly).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Diffy's defaults for `threshold.relative` and `threshold.absolute`, both in percent.
DEFAULT_RELATIVE = 20.0
DEFAULT_ABSOLUTE = 0.03


@dataclass(frozen=True)
class NoiseThresholds:
    relative: float = DEFAULT_RELATIVE
    absolute: float = DEFAULT_ABSOLUTE


@dataclass(frozen=True)
class FieldCounts:
    endpoint: str
    field: str
    #: Requests where primary and candidate differ in this field.
    raw: int
    #: Requests where primary and secondary differ in this field.
    noise: int
    #: Requests to this endpoint that both primary and candidate answered.
    requests: int

    @property
    def relative_difference(self) -> float:
        total = self.raw + self.noise
        return abs(self.raw - self.noise) / total * 100 if total else 0.0

    @property
    def absolute_difference(self) -> float:
        return abs(self.raw - self.noise) / self.requests * 100 if self.requests else 0.0


def is_real_difference(counts: FieldCounts, thresholds: NoiseThresholds, with_secondary: bool) -> bool:
    if counts.raw == 0:
        return False
    if not with_secondary:
        return True
    return (counts.raw > counts.noise
            and counts.relative_difference > thresholds.relative
            and counts.absolute_difference > thresholds.absolute)
