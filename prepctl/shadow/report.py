"""The shadow report: what was compared, what differed (after noise), latency and errors.

``build_report`` turns a ``ReplayResult`` into a ``ShadowReport``. Every string that came from a
request or a response goes through ``prepctl.secrets.redact`` here, so the renderers only ever
see redacted text.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from prepctl import secrets
from prepctl.shadow.compare import MISSING, CompareRules, FieldDiff, compare
from prepctl.shadow.noise import FieldCounts, NoiseThresholds, is_real_difference
from prepctl.shadow.recorded import RecordedRequest
from prepctl.shadow.replay import (
    CANDIDATE,
    PRIMARY,
    SECONDARY,
    Exchange,
    Observation,
    ReplayResult,
    ReplaySettings,
    Targets,
)

#: Examples kept per differing field, per error kind and in the list of mismatched requests.
MAX_EXAMPLES = 3
MAX_MISMATCHES = 50
MAX_VALUE_CHARS = 200
_ID_SEGMENT = re.compile(r"\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                         r"|[0-9a-fA-F]{16,}")


@dataclass(frozen=True)
class RequestRef:
    """A request as reports show it: redacted `METHOD /path?query` and where it was recorded."""

    request: str
    where: str
    line: int | None = None

    @classmethod
    def of(cls, request: RecordedRequest) -> RequestRef:
        return cls(request=request.label, where=request.where, line=request.line)


@dataclass(frozen=True)
class Example:
    ref: RequestRef
    #: Concrete place in the response, e.g. `$.items[3].ts`.
    path: str
    primary: Any
    candidate: Any
    secondary: Any = None

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self.ref), "path": self.path, "primary": self.primary, "candidate": self.candidate}
        if self.secondary is not None:
            out["secondary"] = self.secondary
        return out


@dataclass(frozen=True)
class FieldFinding:
    endpoint: str
    field: str
    #: Requests where primary and candidate differed in this field.
    count: int
    #: Requests where primary and secondary differed in this field.
    noise_count: int
    #: Requests to this endpoint that primary and candidate both answered.
    requests: int
    relative_difference: float
    absolute_difference: float
    examples: tuple[Example, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "field": self.field, "count": self.count,
                "noise_count": self.noise_count, "requests": self.requests,
                "relative_difference": round(self.relative_difference, 2),
                "absolute_difference": round(self.absolute_difference, 2),
                "examples": [e.to_dict() for e in self.examples]}


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> LatencySummary:
        if not seconds:
            return cls(0, None, None, None, None)
        ordered = sorted(seconds)
        return cls(len(ordered), _ms(percentile(ordered, 50)), _ms(percentile(ordered, 95)),
                   _ms(percentile(ordered, 99)), _ms(ordered[-1]))


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list: a value that was actually observed."""
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


@dataclass(frozen=True)
class ErrorGroup:
    #: primary, candidate, secondary, or "run" for the replay as a whole.
    side: str
    #: "connection refused", "timeout", "http 500", "run deadline", ...
    kind: str
    count: int
    examples: tuple[RequestRef, ...] = ()
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"side": self.side, "kind": self.kind, "count": self.count,
               "examples": [asdict(e) for e in self.examples]}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class Mismatch:
    ref: RequestRef
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self.ref), "reasons": list(self.reasons)}


@dataclass(frozen=True)
class SkippedRequest:
    ref: RequestRef
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self.ref), "reason": self.reason}


@dataclass
class ShadowReport:
    requests_file: str
    targets: dict[str, str]
    #: Requests in the file, replayed or not.
    total_requests: int
    #: Requests sent to primary and candidate and answered or failed (not cut off by the deadline).
    compared: int
    matched: int
    mismatched: int
    #: Compared requests the primary failed to answer (no baseline for them).
    primary_failures: int
    differences: list[FieldFinding] = field(default_factory=list)
    noise: list[FieldFinding] = field(default_factory=list)
    latency: dict[str, LatencySummary] = field(default_factory=dict)
    errors: list[ErrorGroup] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    skipped: list[SkippedRequest] = field(default_factory=list)
    not_run: int = 0
    deadline_reached: bool = False
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def match_rate(self) -> float | None:
        return self.matched / self.compared if self.compared else None

    @property
    def mismatch_rate(self) -> float | None:
        return self.mismatched / self.compared if self.compared else None

    @property
    def with_secondary(self) -> bool:
        return SECONDARY in self.targets

    def errors_for(self, side: str) -> list[ErrorGroup]:
        return [e for e in self.errors if e.side == side]

    def to_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "matched": self.matched,
            "mismatched": self.mismatched,
            "match_rate": _rate(self.match_rate),
            "mismatch_rate": _rate(self.mismatch_rate),
            "differences": [d.to_dict() for d in self.differences],
            "noise": [n.to_dict() for n in self.noise],
            "latency": {side: asdict(s) for side, s in self.latency.items()},
            "errors": [e.to_dict() for e in self.errors],
            "mismatches": [m.to_dict() for m in self.mismatches],
            "skipped": [s.to_dict() for s in self.skipped],
            "not_run": self.not_run,
            "deadline_reached": self.deadline_reached,
            "total_requests": self.total_requests,
            "primary_failures": self.primary_failures,
            "requests_file": self.requests_file,
            "targets": self.targets,
            "seconds": round(self.seconds, 3),
            "settings": self.settings,
        }


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def endpoint_of(request: RecordedRequest) -> str:
    """`GET /analytics/host/{id}/summary`: ids folded so one route's requests count together."""
    segments = ["{id}" if _ID_SEGMENT.fullmatch(s) else s for s in request.path.split("/")]
    return f"{request.method} {'/'.join(segments)}"


def display_value(value: Any) -> Any:
    """A value as reports show it: scalars as they are, the rest as short JSON; all redacted."""
    if value is MISSING:
        return "<missing>"
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + "…"
    return secrets.redact(text)


@dataclass
class _FieldTally:
    raw: int = 0
    noise: int = 0
    examples: list[Example] = field(default_factory=list)


def build_report(result: ReplayResult, targets: Targets, rules: CompareRules,
                 thresholds: NoiseThresholds, replay_settings: ReplaySettings,
                 requests_file: str, total_requests: int) -> ShadowReport:
    with_secondary = targets.secondary is not None
    tallies: dict[tuple[str, str], _FieldTally] = defaultdict(_FieldTally)
    answered: dict[str, int] = defaultdict(int)
    raw_fields: dict[int, list[tuple[str, str]]] = {}
    failures: dict[int, list[str]] = {}
    errors = _ErrorTally()
    latency: dict[str, list[float]] = {side: [] for side, _ in targets.items()}

    for exchange in result.exchanges:
        request = exchange.request
        for side, _ in targets.items():
            observed = exchange.side(side)
            assert observed is not None
            errors.add(side, observed, request)
            if observed.ok and observed.seconds is not None:
                latency[side].append(observed.seconds)
        reasons = [f"{side}: {obs.failure}" for side, obs in
                   ((PRIMARY, exchange.primary), (CANDIDATE, exchange.candidate)) if not obs.ok]
        if reasons:
            # Scientist's rule: a failure on one side is a mismatch, whatever the other side did.
            failures[request.index] = reasons
            continue
        endpoint = endpoint_of(request)
        answered[endpoint] += 1
        raw = compare(exchange.primary, exchange.candidate, rules)
        noise = _noise_diffs(exchange, rules)
        for name in noise:
            tallies[(endpoint, name)].noise += 1
        for name, diff in raw.items():
            tally = tallies[(endpoint, name)]
            tally.raw += 1
            if len(tally.examples) < MAX_EXAMPLES:
                tally.examples.append(_example(request, diff, noise.get(name), exchange.secondary))
        raw_fields[request.index] = [(endpoint, name) for name in raw]

    differences: list[FieldFinding] = []
    noise_found: list[FieldFinding] = []
    real: set[tuple[str, str]] = set()
    for (endpoint, name), tally in tallies.items():
        counts = FieldCounts(endpoint, name, tally.raw, tally.noise, answered[endpoint])
        finding = FieldFinding(endpoint, name, tally.raw, tally.noise, answered[endpoint],
                               counts.relative_difference, counts.absolute_difference,
                               tuple(tally.examples))
        if is_real_difference(counts, thresholds, with_secondary):
            differences.append(finding)
            real.add((endpoint, name))
        elif tally.noise:
            noise_found.append(finding)

    mismatches: list[Mismatch] = []
    matched = 0
    for exchange in result.exchanges:
        index = exchange.request.index
        reasons = failures.get(index) or [
            f"{name} differs ({endpoint})" for endpoint, name in raw_fields.get(index, [])
            if (endpoint, name) in real]
        if reasons:
            if len(mismatches) < MAX_MISMATCHES:
                mismatches.append(Mismatch(RequestRef.of(exchange.request), tuple(reasons)))
        else:
            matched += 1

    if result.deadline_reached or result.not_run:
        errors.add_run_deadline(result.not_run, replay_settings.max_seconds)
    return ShadowReport(
        requests_file=requests_file,
        targets=targets.display(),
        total_requests=total_requests,
        compared=len(result.exchanges),
        matched=matched,
        mismatched=len(result.exchanges) - matched,
        primary_failures=sum(1 for e in result.exchanges if not e.primary.ok),
        differences=sorted(differences, key=lambda f: (-f.count, f.endpoint, f.field)),
        noise=sorted(noise_found, key=lambda f: (-f.noise_count, f.endpoint, f.field)),
        latency={side: LatencySummary.of(values) for side, values in latency.items()},
        errors=errors.groups(),
        mismatches=mismatches,
        skipped=[SkippedRequest(RequestRef.of(s.request), s.reason) for s in result.skipped],
        not_run=len(result.not_run),
        deadline_reached=result.deadline_reached,
        seconds=result.seconds,
        settings=_settings(replay_settings, rules, thresholds),
    )


def _noise_diffs(exchange: Exchange, rules: CompareRules) -> dict[str, FieldDiff]:
    secondary = exchange.secondary
    if secondary is None or not secondary.ok:
        return {}
    return compare(exchange.primary, secondary, rules)


def _example(request: RecordedRequest, diff: FieldDiff, noise: FieldDiff | None,
             secondary: Observation | None) -> Example:
    if secondary is None or not secondary.ok:
        secondary_value = None
    elif noise is None:
        # No noise in this field: the secondary agreed with the primary everywhere in it.
        secondary_value = display_value(diff.left)
    elif noise.path == diff.path:
        secondary_value = display_value(noise.right)
    else:
        # The primaries disagreed elsewhere in this (folded) field; here the value is not known.
        secondary_value = None
    return Example(RequestRef.of(request), diff.path, display_value(diff.left), display_value(diff.right),
                   secondary_value)


@dataclass
class _ErrorCount:
    count: int = 0
    examples: list[RequestRef] = field(default_factory=list)
    detail: str | None = None


class _ErrorTally:
    """Errors grouped by side and kind, with the first few requests that hit each."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], _ErrorCount] = {}

    def add(self, side: str, observed: Observation, request: RecordedRequest) -> None:
        if not observed.ok:
            kind, detail = observed.failure or "failure", observed.detail
        elif observed.status is not None and observed.status >= 500:
            kind, detail = f"http {observed.status}", None
        else:
            return
        group = self._groups.setdefault((side, kind), _ErrorCount(detail=detail))
        group.count += 1
        if len(group.examples) < MAX_EXAMPLES:
            group.examples.append(RequestRef.of(request))

    def add_run_deadline(self, not_run: list[RecordedRequest], max_seconds: float) -> None:
        self._groups[("run", "run deadline")] = _ErrorCount(
            len(not_run), [RequestRef.of(r) for r in not_run[:MAX_EXAMPLES]],
            f"the replay stopped after {max_seconds:g} s; {len(not_run)} request(s) not run")

    def groups(self) -> list[ErrorGroup]:
        found = [ErrorGroup(side, kind, g.count, tuple(g.examples), g.detail)
                 for (side, kind), g in self._groups.items()]
        order = {PRIMARY: 0, CANDIDATE: 1, SECONDARY: 2}
        return sorted(found, key=lambda g: (order.get(g.side, 3), -g.count, g.kind))


def _settings(replay: ReplaySettings, rules: CompareRules, thresholds: NoiseThresholds) -> dict[str, Any]:
    return {"concurrency": replay.concurrency, "rate": replay.rate, "timeout": replay.timeout,
            "max_seconds": replay.max_seconds, "allow_side_effects": replay.allow_side_effects,
            "headers": list(rules.headers), "ignore": list(rules.ignore),
            "relative_threshold": thresholds.relative, "absolute_threshold": thresholds.absolute}
