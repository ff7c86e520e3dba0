"""Alerts from the Alertmanager v2 API (``/api/v2/status``, ``/api/v2/alerts``).

An empty alert list is good news only from a real Alertmanager, so the status endpoint is read
first: a wrong URL that happens to answer ``[]`` (a catch-all proxy, another service) is an
error, not a clean bill of health. Matchers are sent to Alertmanager as ``filter`` and checked
again here, so a proxy that drops the filter cannot make unrelated alerts count.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prepctl.sources.http import Auth, HttpSource, SourceError, shared_client
from prepctl.sources.metrics.interface import Alert, AlertmanagerStatus
from prepctl.sources.metrics.labels import LabelMatcher

if TYPE_CHECKING:
    from prepctl.sources.context import GateContext


class AlertmanagerAPI(HttpSource):
    """A live Alertmanager's v2 API; implements ``interface.AlertsSource``."""

    what = "Alertmanager"

    def status(self) -> AlertmanagerStatus:
        data, _ = self.get_json("/api/v2/status")
        if not isinstance(data, dict) or not isinstance(data.get("versionInfo"), dict):
            raise SourceError(f"{self.location} does not answer like an Alertmanager v2 API "
                              "(/api/v2/status has no versionInfo); check sources.alertmanager.url")
        return AlertmanagerStatus(str(data["versionInfo"].get("version", "?")), str(data.get("uptime", "?")))

    def alerts(self, matchers: list[LabelMatcher]) -> list[Alert]:
        """Active alerts matching every matcher, silenced and inhibited ones included (marked)."""
        params: list[tuple[str, str]] = [("active", "true"), ("silenced", "true"), ("inhibited", "true"),
                                         ("unprocessed", "true")]
        params += [("filter", str(m)) for m in matchers]
        data, _ = self.get_json("/api/v2/alerts", params=params)
        if not isinstance(data, list):
            raise SourceError(f"Alertmanager at {self.location} answered "
                              f"{'null' if data is None else type(data).__name__} instead of a list of alerts")
        found: list[Alert] = []
        problems: list[str] = []
        for item in data:
            try:
                found.append(parse_alert(item))
            except MalformedAlert as exc:
                problems.append(f"{describe_alert(item)}: {exc}")
        if problems:
            # Any broken alert makes the count unknowable: it might be the one that matches.
            more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
            raise SourceError(f"Alertmanager at {self.location} returned {len(problems)} malformed "
                              f"alert{'s' if len(problems) != 1 else ''}: {'; '.join(problems[:2])}{more}")
        return [a for a in found if all(m.matches(a.labels) for m in matchers)]


class MalformedAlert(ValueError):
    """An alert that breaks the v2 schema or contradicts itself; the message names the field."""


STATES = ("active", "suppressed", "unprocessed")
#: RFC 3339 as Alertmanager writes it (Go's time.RFC3339Nano): a date, a time, an offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_alert(item: Any) -> Alert:
    """One entry of ``GET /api/v2/alerts``, checked strictly: a loose reading once counted
    ``silencedBy: "oops"`` as four silences. Raises MalformedAlert naming the field."""
    if not isinstance(item, dict):
        raise MalformedAlert(f"an alert must be an object, not {_kind(item)}")
    labels = _string_map(item.get("labels"), "labels")
    if not labels:
        raise MalformedAlert("labels: an alert needs at least one label")
    _string_map(item.get("annotations", {}), "annotations")
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        raise MalformedAlert(f"fingerprint: must be a non-empty string, not {_kind(fingerprint)}")
    starts = _timestamp(item.get("startsAt"), "startsAt")
    for optional in ("endsAt", "updatedAt"):
        if optional in item:
            _timestamp(item[optional], optional)
    if "endsAt" in item and _instant(item["endsAt"]) < _instant(starts):
        raise MalformedAlert(f"endsAt {item['endsAt']} is before startsAt {starts}")
    status = item.get("status")
    if not isinstance(status, dict):
        raise MalformedAlert(f"status: must be an object, not {_kind(status)}")
    state = status.get("state")
    if state not in STATES:
        raise MalformedAlert(f"status.state: unknown state {str(state)[:40]!r} (expected active, "
                             "suppressed or unprocessed)")
    silenced = _ids(status.get("silencedBy"), "status.silencedBy", required=True)
    inhibited = _ids(status.get("inhibitedBy"), "status.inhibitedBy", required=True)
    muted = _ids(status.get("mutedBy"), "status.mutedBy", required=False)  # Alertmanager 0.27+
    if state == "suppressed" and not (silenced or inhibited or muted):
        raise MalformedAlert("status.state is suppressed, but silencedBy, inhibitedBy and mutedBy are "
                             "empty: nothing suppresses it")
    if state != "suppressed" and (silenced or inhibited or muted):
        field = "silencedBy" if silenced else "inhibitedBy" if inhibited else "mutedBy"
        raise MalformedAlert(f"status.state is {state}, yet status.{field} names "
                             f"{', '.join(silenced or inhibited or muted)[:80]}: the alert contradicts itself")
    return Alert(labels=labels, starts_at=starts, state=state, silenced_by=silenced,
                 inhibited_by=inhibited, muted_by=muted, fingerprint=fingerprint)


def describe_alert(item: Any) -> str:
    """Which alert, for a message about a malformed one: its fingerprint and alertname if any."""
    if not isinstance(item, dict):
        return f"alert {str(item)[:60]!r}"
    parts = []
    for key, value in (("fingerprint", item.get("fingerprint")),
                       ("alertname", (item.get("labels") or {}).get("alertname")
                        if isinstance(item.get("labels"), dict) else None)):
        if isinstance(value, str) and value:
            parts.append(f"{key} {value[:60]!r}")
    return f"alert {', '.join(parts)}" if parts else f"alert {str(item)[:60]!r}"


def _string_map(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise MalformedAlert(f"{field}: must be an object of strings, not {_kind(value)}")
    for key, text in value.items():
        if not isinstance(text, str):
            raise MalformedAlert(f"{field}.{str(key)[:40]}: must be a string, not {_kind(text)}")
    return dict(value)


def _ids(value: Any, field: str, *, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list):
        raise MalformedAlert(f"{field}: must be a list of ids, not {_kind(value)} {str(value)[:40]!r}")
    for index, one in enumerate(value):
        if not isinstance(one, str) or not one.strip():
            raise MalformedAlert(f"{field}[{index}]: must be a non-empty id, not {_kind(one)} "
                                 f"{str(one)[:40]!r}")
    return tuple(value)


def _timestamp(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise MalformedAlert(f"{field}: {str(value)[:40]!r} is not an RFC 3339 time")
    try:
        _instant(value)
    except ValueError:
        raise MalformedAlert(f"{field}: {value[:40]!r} is not a valid date and time") from None
    return value


def _instant(value: str) -> datetime:
    # Go writes nanoseconds; Python reads at most microseconds.
    head, dot, rest = value.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    return datetime.fromisoformat(value.replace("z", "+00:00").replace("Z", "+00:00").replace("t", "T"))


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def alertmanager_source(ctx: GateContext) -> AlertmanagerAPI:
    config = ctx.plan.model.sources.alertmanager
    if config is None:
        raise SourceError("no Alertmanager configured: add sources.alertmanager.url to phases.yaml")
    return AlertmanagerAPI(shared_client(ctx), config.url, Auth(bearer_env=config.token_env))
