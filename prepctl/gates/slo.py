"""Gate kind `slo`: PromQL objectives against thresholds or a captured baseline.

```yaml
- id: analytics-slos
  kind: slo
  title: Analytics latency and error rate within freeze thresholds
  objectives:
    - name: analytics-latency-p95
      query: service:http_request_duration_seconds:p95{service="prep-api"}
      window: 1h          # evaluate over the last hour ...
      aggregate: max      # ... and judge its max (min, avg, last, median, p50..p99.9)
      pass: "<= 0.8"
      warn: "<= 1.0"
    - name: analytics-api-latency-p95
      query: service:http_request_duration_seconds:p95{service="analytics-api"}
      pass: "<=+10%"      # at most 10% above the baseline's value
      baseline: phase-0/analytics-latency-p95
```

A criterion string is ``OP NUMBER`` (``< 0.3``), ``OP baseline [* F | + N | - N]``
(``<= baseline * 1.10``) or, Keptn-style, ``OP`` followed by a signed change from the baseline
(``<=+10%``, ``>=-5%``, ``<=+0.05``). A list means all of them. ``pass`` failing falls back to
``warn``; both failing is ``fail``.

Missing evidence is never a pass: an empty result, NaN, ±Inf, a series whose newest point is
older than ``max_staleness``, a missing or stale baseline: all ``error``. Only an objective that
says what no data means (``on_no_data: pass|warn|fail``, for low-traffic endpoints) turns an
empty/NaN/stale window into that status, and the evidence says it did. A sample stamped outside
``[start - max_staleness, end + 5s]`` (in the future, from 1970, an instant answer older than
``max_staleness``) is ``error`` whatever ``on_no_data`` says: see ``prepctl.slo.samples``. So is
a window answer whose series starts more than one step after the window's start (a series that
began 5 min before the end of a 1 h window: insufficient data, the other 55 min are unknown).
The domain (durations, criteria, measuring, judging, baselines) lives in ``prepctl.slo``.
"""

from __future__ import annotations

from prepctl.gates.base import Gate
from prepctl.plan.model import Phase
from prepctl.slo.baselines import BaselineStore
from prepctl.slo.judge import judge_spec
from prepctl.slo.objectives import SloSpec
from prepctl.sources.context import GateContext
from prepctl.sources.http import redact_verdict
from prepctl.sources.metrics.configured import prometheus_source
from prepctl.verdicts import Verdict


class SloGate(Gate[SloSpec]):
    kind = "slo"
    options = SloSpec
    live = True

    def check(self, spec: SloSpec, phase: Phase, ctx: GateContext) -> Verdict:
        source = prometheus_source(ctx)
        store = ctx.shared("baselines", lambda: BaselineStore(ctx.plan))
        return redact_verdict(judge_spec(spec, source, store))
