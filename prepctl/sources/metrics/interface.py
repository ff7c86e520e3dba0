"""The metrics seam: what answers a PromQL query (instant or range) and what lists alerts.

``MetricsSource`` is implemented by ``prometheus.PrometheusAPI`` (a live server) and by the
snapshots in ``snapshot`` (a file captured earlier). Both return ``QueryResult``s with every
value as a float, NaN and infinities included: deciding that NaN means "no evidence" is the
gate's job, and it must see them to do it. ``AlertsSource`` is what the incidents gate reads;
``alertmanager.AlertmanagerAPI`` implements it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

from prepctl.sources.metrics.labels import LabelMatcher, Labels


@dataclass(frozen=True)
class Sample:
    timestamp: float  # Unix seconds
    value: float


@dataclass(frozen=True)
class Series:
    labels: Labels
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class QueryResult:
    """What a query returned, plus where and when, for the evidence."""

    query: str
    result_type: str  # vector, matrix or scalar
    series: tuple[Series, ...]
    evaluated_at: float  # the instant, or the end of the range
    source: str  # URL or file the answer came from
    warnings: tuple[str, ...] = field(default=())


class MetricsSource(ABC):
    """Something that answers PromQL: a Prometheus server or a snapshot file."""

    #: Shown in evidence: a URL (never with credentials) or a file.
    location: str
    #: True for a file captured earlier: its "now" is when it was captured.
    offline: bool = False

    @abstractmethod
    def now(self) -> float:
        """The time "now" stands for: the clock, or the end of a snapshot."""

    @abstractmethod
    def instant(self, query: str, at: float) -> QueryResult: ...

    @abstractmethod
    def range(self, query: str, start: float, end: float, step: float) -> QueryResult: ...

    def graph_url(self, query: str, window: float | None) -> str | None:
        """A link a reader can open to see the query; None for files."""
        return None



# ---------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    """One alert as Alertmanager's v2 API describes it, checked by :func:`parse_alert`."""

    labels: dict[str, str]
    starts_at: str
    state: str  # active, suppressed or unprocessed
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    muted_by: tuple[str, ...] = ()
    fingerprint: str = ""

    @property
    def suppressed(self) -> bool:
        # Only the state decides: parse_alert refuses an alert whose silencedBy/inhibitedBy says
        # otherwise, and "active" or "unprocessed" (not yet checked against silences) count.
        return self.state == "suppressed"

    @property
    def muted_why(self) -> str:
        if self.silenced_by:
            return "silenced"
        return "inhibited" if self.inhibited_by else "muted by a time interval"

    @property
    def muted_ids(self) -> tuple[str, ...]:
        return self.silenced_by or self.inhibited_by or self.muted_by

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "(no alertname)")


@dataclass(frozen=True)
class AlertmanagerStatus:
    version: str
    uptime: str


class AlertsSource(Protocol):
    """Something that lists the alerts firing now: an Alertmanager."""

    #: Shown in evidence: a URL without credentials.
    location: str

    def status(self) -> AlertmanagerStatus:
        """Who answers; raises SourceError when it is not an Alertmanager at all."""
        ...

    def alerts(self, matchers: list[LabelMatcher]) -> list[Alert]:
        """Active alerts matching every matcher, silenced and inhibited ones included (marked)."""
        ...
