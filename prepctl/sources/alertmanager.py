"""Alerts from the Alertmanager v2 API (``/api/v2/status``, ``/api/v2/alerts``).

An empty alert list is good news only from a real Alertmanager, so the status endpoint is read
first: a wrong URL that happens to answer ``[]`` (a catch-all proxy, another service) is an
error, not a clean bill of health. Matchers are sent to Alertmanager as ``filter`` and checked
again here, so a proxy that drops the filter cannot make unrelated alerts count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prepctl.sources.http import Auth, SourceError, safe_url
from prepctl.sources.labels import LabelMatcher

if TYPE_CHECKING:
    from prepctl.gates.base import GateContext
    from prepctl.sources.http import HttpClient

@dataclass(frozen=True)
class Alert:
    labels: dict[str, str]
    starts_at: str
    state: str  # active, suppressed or unprocessed
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    fingerprint: str = ""

    @property
    def suppressed(self) -> bool:
        # "unprocessed" alerts have not been checked against silences yet: they count.
        return self.state == "suppressed" or bool(self.silenced_by or self.inhibited_by)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "(no alertname)")


@dataclass(frozen=True)
class AlertmanagerStatus:
    version: str
    uptime: str


class AlertmanagerAPI:
    def __init__(self, client: HttpClient, base_url: str, auth: Auth | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.location = safe_url(self.base_url)
        self.auth = auth or Auth()

    def status(self) -> AlertmanagerStatus:
        data, _ = self.client.get_json(f"{self.base_url}/api/v2/status", what="Alertmanager",
                                       auth=self.auth)
        if not isinstance(data, dict) or not isinstance(data.get("versionInfo"), dict):
            raise SourceError(f"{self.location} does not answer like an Alertmanager v2 API "
                              "(/api/v2/status has no versionInfo); check sources.alertmanager.url")
        return AlertmanagerStatus(str(data["versionInfo"].get("version", "?")), str(data.get("uptime", "?")))

    def alerts(self, matchers: list[LabelMatcher]) -> list[Alert]:
        """Active alerts matching every matcher, silenced and inhibited ones included (marked)."""
        params: list[tuple[str, str]] = [("active", "true"), ("silenced", "true"), ("inhibited", "true"),
                                         ("unprocessed", "true")]
        params += [("filter", str(m)) for m in matchers]
        data, _ = self.client.get_json(f"{self.base_url}/api/v2/alerts", what="Alertmanager",
                                       params=params, auth=self.auth)
        if not isinstance(data, list):
            raise SourceError(f"Alertmanager at {self.location} answered "
                              f"{'null' if data is None else type(data).__name__} instead of a list of alerts")
        found = [_alert(item, self.location) for item in data]
        return [a for a in found if all(m.matches(a.labels) for m in matchers)]


def _alert(item: Any, location: str) -> Alert:
    if not isinstance(item, dict) or not isinstance(item.get("labels"), dict) \
            or not isinstance(item.get("status"), dict):
        raise SourceError(f"Alertmanager at {location} returned a malformed alert: {str(item)[:100]}")
    status = item["status"]
    state = status.get("state")
    if state not in ("active", "suppressed", "unprocessed"):
        raise SourceError(f"Alertmanager at {location} returned an alert in unknown state {state!r}")
    return Alert(labels={str(k): str(v) for k, v in item["labels"].items()},
                 starts_at=str(item.get("startsAt", "?")), state=state,
                 silenced_by=tuple(status.get("silencedBy") or ()),
                 inhibited_by=tuple(status.get("inhibitedBy") or ()),
                 fingerprint=str(item.get("fingerprint", "")))


def alertmanager_source(ctx: GateContext) -> AlertmanagerAPI:
    from prepctl.sources.http import shared_client

    config = ctx.plan.model.sources.alertmanager
    if config is None:
        raise SourceError("no Alertmanager configured: add sources.alertmanager.url to phases.yaml")
    auth = Auth(bearer_env=config.token_env) if config.token_env else Auth()
    return AlertmanagerAPI(shared_client(ctx), config.url, auth)
