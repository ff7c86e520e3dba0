"""The ``slo`` kind's options: objectives, the spec, baseline references and the hash a captured
baseline is checked against. See ``prepctl.gates.slo`` for the kind itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from prepctl.plan.model import CriterionSpec, Slug, StrictModel
from prepctl.slo.conditions import Condition, as_list, checked_conditions, parse_condition
from prepctl.slo.durations import parse_duration
from prepctl.sources.metrics.promql import PromQLError, check_template

DEFAULT_STALENESS = "10m"
_AGGREGATE = re.compile(r"^(max|min|avg|last|median|p(\d{1,2}(?:\.\d+)?))$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _checked_baseline_ref(value: str) -> str:
    split_baseline_ref(value)
    return value


#: NAME or NAME/OBJECTIVE of a captured baseline.
BaselineRef = Annotated[str, AfterValidator(_checked_baseline_ref)]


class Objective(StrictModel):
    name: Slug = Field(description="Unique in the phase; baselines store values under it.")
    query: str = Field(min_length=1, description="PromQL, checked by `validate` (promql-parser; regex "
                       "matchers as RE2). ${var} takes a value from the criterion's vars.")
    window: str | None = Field(None, description="Evaluate over this range (e.g. 1h) instead of an instant.")
    step: str | None = Field(None, description="Resolution of the range (default window/60, at least 15s).")
    aggregate: str | None = Field(None, description="How a window becomes one number: max, min, avg, "
                                  "last, median or pNN (p95, p99.9).")
    pass_: str | list[str] = Field(alias="pass", description="A criterion, or a list that must all hold, "
                                   "to pass: '<= 0.8', '<=+10%', '<= baseline * 1.1'.")
    warn: str | list[str] | None = Field(None, description="If pass fails but these hold: warn, not fail.")
    on_no_data: Literal["pass", "warn", "fail"] | None = Field(
        None, description="What an empty, NaN or stale result means (default: error).")
    max_staleness: str = Field(DEFAULT_STALENESS, description="A series whose newest point is older "
                               "than this is stale; an instant answer stamped earlier is an error.")
    baseline: BaselineRef | None = Field(None, description="NAME or NAME/OBJECTIVE of a captured baseline, for "
                                 "relative criteria (default: the criterion's baseline).")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("pass_", "warn", mode="before")
    @classmethod
    def _parse_criteria(cls, value: str | list[str] | None) -> str | list[str] | None:
        return checked_conditions(value)

    @field_validator("query")
    @classmethod
    def _promql(cls, value: str) -> str:
        # Caught by `validate`, not by the first live run; ${var} stands in as a dummy of its kind.
        try:
            check_template(value)
        except PromQLError as exc:
            raise ValueError(f"query is not valid PromQL: {exc}") from None
        return value

    @field_validator("window", "step", "max_staleness")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _window_needs_aggregate(self) -> Objective:
        if self.aggregate is not None and not _AGGREGATE.match(self.aggregate):
            raise ValueError(f"aggregate {self.aggregate!r}: use max, min, avg, last, median or pNN")
        if self.aggregate is not None and self.window is None:
            raise ValueError(f"objective {self.name}: aggregate needs a window (e.g. window: 1h)")
        if self.window is not None and self.aggregate is None:
            # No default: max is cautious for latency and reckless for availability.
            raise ValueError(f"objective {self.name}: a window needs an aggregate (max, min, avg, "
                             "last, median or pNN) to turn it into one number")
        if self.step is not None and self.window is None:
            raise ValueError(f"objective {self.name}: step needs a window")
        match = _AGGREGATE.match(self.aggregate or "")
        if match and match.group(2) is not None and not 0 < float(match.group(2)) < 100:
            raise ValueError(f"aggregate {self.aggregate}: the percentile must be between 0 and 100")
        return self

    @property
    def conditions(self) -> list[Condition]:
        return [parse_condition(c) for c in as_list(self.pass_)]

    @property
    def warn_conditions(self) -> list[Condition]:
        return [parse_condition(c) for c in as_list(self.warn)]

    @property
    def relative(self) -> bool:
        return any(c.relative for c in (*self.conditions, *self.warn_conditions))

    @property
    def window_seconds(self) -> float | None:
        return parse_duration(self.window) if self.window else None

    @property
    def step_seconds(self) -> float | None:
        window = self.window_seconds
        if window is None:
            return None
        if self.step:
            return parse_duration(self.step)
        return float(max(15, round(window / 60)))

    def render(self, variables: dict[str, str]) -> str:
        return _VAR.sub(lambda m: variables[m.group(1)], self.query)


class SloSpec(CriterionSpec):
    kind: Literal["slo"]
    objectives: list[Objective] = Field(min_length=1)
    baseline: BaselineRef | None = Field(None, description="Default NAME of the captured baseline that relative "
                                 "objectives compare with (see `prepctl baseline capture`).")
    vars: dict[str, str] = Field(default_factory=dict, description="Values for ${name} in queries.")

    @model_validator(mode="after")
    def _consistent(self) -> SloSpec:
        names = [o.name for o in self.objectives]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"objective names must be unique: {', '.join(duplicates)}")
        for objective in self.objectives:
            missing = sorted({m.group(1) for m in _VAR.finditer(objective.query)} - set(self.variables(objective)))
            if missing:
                raise ValueError(f"objective {objective.name}: query uses ${{{missing[0]}}}, which vars "
                                 "does not define" + (" (${window} needs a window)"
                                                      if missing[0] == "window" else ""))
            if objective.relative and not (objective.baseline or self.baseline):
                raise ValueError(f"objective {objective.name}: a relative criterion needs a baseline "
                                 "(baseline: NAME, captured with `prepctl baseline capture`)")
        return self

    def variables(self, objective: Objective) -> dict[str, str]:
        found = dict(self.vars)
        if objective.window:
            found.setdefault("window", objective.window)
        return found

    def baseline_ref(self, objective: Objective) -> tuple[str, str]:
        """(baseline name, objective name in it) for a relative objective."""
        ref = objective.baseline or self.baseline
        assert ref is not None
        name, other = split_baseline_ref(ref)
        return name, other or objective.name


def split_baseline_ref(ref: str) -> tuple[str, str | None]:
    name, _, objective = ref.partition("/")
    slug = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
    if not slug.match(name) or (objective and not slug.match(objective)):
        raise ValueError(f"baseline {ref!r} must be NAME or NAME/OBJECTIVE (lower-case slugs)")
    return name, objective or None


def objective_hash(spec: SloSpec, objective: Objective) -> str:
    """What the measured number depends on; a baseline captured under another hash is stale."""
    payload = {"query": " ".join(objective.render(spec.variables(objective)).split()),
               "window": objective.window_seconds, "step": objective.step_seconds,
               "aggregate": objective.aggregate}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
