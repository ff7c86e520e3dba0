"""What templates see: small frozen view objects built from the plan and the evaluation.

Templates get attributes, never raw dicts, so a typo in a template is an error (StrictUndefined)
rather than an empty cell. Everything source-provided passes through ``redact`` here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase
from prepctl.secrets import redact
from prepctl.verdicts import CriterionResult, Evidence, Metric, PhaseResult, Status

ICONS = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "🛑", Status.SKIP: "⏭️"}
#: Fields every criterion has; the rest are its kind's options, shown as "how it is checked".
_COMMON_FIELDS = ("id", "kind", "title", "description", "advisory")


@dataclass(frozen=True)
class DateRange:
    weeks: str
    start: date | None
    end: date | None

    @property
    def text(self) -> str:
        if self.start is None or self.end is None:
            return f"weeks {self.weeks} (set start_date in phases.yaml for calendar dates)"
        return f"{self.start.isoformat()} – {self.end.isoformat()} (weeks {self.weeks})"


def phase_dates(plan: LoadedPlan, phase: Phase) -> DateRange:
    dates = plan.dates_of(phase)
    return DateRange(str(phase.weeks), *(dates or (None, None)))


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return redact(value)
    return redact(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class EvidenceView:
    label: str
    location: str
    value: str
    expected: str
    revision: str
    url: str

    @property
    def multiline(self) -> bool:
        return "\n" in self.value


def evidence_view(evidence: Evidence | dict[str, Any]) -> EvidenceView:
    data = evidence.to_dict() if isinstance(evidence, Evidence) else evidence
    path, line = data.get("path"), data.get("line")
    location = f"{path}:{line}" if path and line else (str(path) if path else "")
    return EvidenceView(label=value_text(data.get("label", "")), location=redact(location),
                        value=value_text(data.get("value")), expected=value_text(data.get("expected")),
                        revision=value_text(data.get("revision")), url=value_text(data.get("url")))


def recorded_metrics(evidence: Iterable[dict[str, Any]]) -> list[Metric]:
    """The metrics in a recorded criterion's evidence (malformed records are left out)."""
    found = (Metric.from_dict(item.get("metric")) for item in evidence)
    return [metric for metric in found if metric is not None]


@dataclass(frozen=True)
class CriterionView:
    id: str
    kind: str
    title: str
    description: str
    advisory: bool
    options: tuple[tuple[str, str], ...]
    status: str
    icon: str
    summary: str
    evidence: tuple[EvidenceView, ...]
    evaluated: bool


def spec_options(spec: CriterionSpec) -> tuple[tuple[str, str], ...]:
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return tuple((key, value_text(val)) for key, val in data.items() if key not in _COMMON_FIELDS)


def criterion_view(spec: CriterionSpec, result: CriterionResult | None) -> CriterionView:
    if result is None:
        return CriterionView(spec.id, spec.kind, redact(spec.title), redact(spec.description or ""),
                             spec.advisory, spec_options(spec), "not evaluated", "➖", "not evaluated", (),
                             False)
    return CriterionView(spec.id, spec.kind, redact(spec.title), redact(spec.description or ""),
                         spec.advisory, spec_options(spec), result.status.value, ICONS[result.status],
                         redact(result.verdict.summary),
                         tuple(evidence_view(e) for e in result.verdict.evidence), True)


def criterion_views(phase: Phase, result: PhaseResult | None) -> tuple[CriterionView, ...]:
    by_id = {c.id: c for c in result.criteria} if result else {}
    return tuple(criterion_view(spec, by_id.get(spec.id)) for spec in phase.criteria)
