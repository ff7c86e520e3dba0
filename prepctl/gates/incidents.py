"""Gate kind `incidents`: no active alerts of the blocking severities (Alertmanager v2 API).

```yaml
- id: no-sev0-sev1
  kind: incidents
  title: Zero open Sev-0/Sev-1 incidents across API and background workers
  matchers: ['severity=~"sev0|sev1"', 'service=~"api|worker"']
  max_active: 0
```

An alert counts when it is active (or unprocessed) and matches every matcher. Silenced and
inhibited alerts do not count; the evidence still lists them, so a reader sees what was muted.
The evidence lists each counted alert's labels and start time. Alerts are checked against the v2
schema first (``prepctl.sources.metrics.alertmanager.parse_alert``): one that is malformed or contradicts
itself makes the verdict ``error``, since the count is then unknown.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.sources.http import redact_verdict
from prepctl.sources.metrics.alertmanager import alertmanager_source
from prepctl.sources.metrics.interface import AlertsSource
from prepctl.sources.metrics.labels import LabelMatcher
from prepctl.verdicts import Evidence, Metric, Status, Verdict, first_few


def _checked_matcher(text: str) -> str:
    LabelMatcher.parse(text)  # per item, so `validate` points at the very matcher
    return text


class IncidentsSpec(CriterionSpec):
    kind: Literal["incidents"]
    matchers: list[Annotated[str, AfterValidator(_checked_matcher)]] = Field(
        min_length=1, description="Alertmanager matchers, all must match, e.g. severity=~\"sev0|sev1\"; "
        "regexes are RE2 (as Alertmanager reads them) and anchored.")
    max_active: int = Field(0, ge=0, description="Most active matching alerts that still pass.")


def _labels(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class IncidentsGate(Gate[IncidentsSpec]):
    kind = "incidents"
    options = IncidentsSpec
    live = True

    def check(self, spec: IncidentsSpec, phase: Phase, ctx: GateContext) -> Verdict:
        return redact_verdict(count_alerts(spec, alertmanager_source(ctx)))


def count_alerts(spec: IncidentsSpec, api: AlertsSource) -> Verdict:
    """The verdict on the alerts matching the criterion's matchers, from any alerts source."""
    matchers = [LabelMatcher.parse(m) for m in spec.matchers]
    status = api.status()
    alerts = api.alerts(matchers)
    counted = [a for a in alerts if not a.suppressed]
    muted = [a for a in alerts if a.suppressed]
    selector = ", ".join(str(m) for m in matchers)
    evidence = [Evidence(f"Alertmanager {status.version} (up since {status.uptime})",
                         value=f"{len(counted)} active, {len(muted)} silenced/inhibited",
                         expected=f"<= {spec.max_active} active matching {{{selector}}}",
                         url=api.location,
                         metric=Metric(f"active alerts matching {{{selector}}}", len(counted), unit="alerts",
                                       objective=f"<= {spec.max_active} active", threshold=spec.max_active,
                                       direction="lower"))]
    for alert in counted:
        evidence.append(Evidence(f"active {alert.name} since {alert.starts_at}",
                                 value=_labels(alert.labels), expected="no such alert", url=api.location))
    for alert in muted:
        why = alert.muted_why
        ids = ", ".join(alert.muted_ids)
        evidence.append(Evidence(f"not counted: {alert.name} since {alert.starts_at} is {why}"
                                 f"{f' ({ids})' if ids else ''}", value=_labels(alert.labels)))
    extra = f"; {len(muted)} silenced/inhibited not counted" if muted else ""
    if len(counted) > spec.max_active:
        names = first_few([f"{a.name}{_labels(a.labels)}" for a in counted], 3)
        return Verdict.of(Status.FAIL, f"{len(counted)} active alert{'s' if len(counted) != 1 else ''} "
                          f"matching {{{selector}}} (max {spec.max_active}): {names}{extra}", evidence)
    return Verdict.of(Status.PASS, f"{len(counted)} active alerts matching {{{selector}}} "
                      f"(max {spec.max_active}){extra}", evidence)
