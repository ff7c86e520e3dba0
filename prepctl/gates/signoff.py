"""Gate kind `signoff`: the phase's RFC is approved by every required approver role.

```yaml
- id: rfc-signed-off
  kind: signoff
  title: RFC signed off by the phase's approvers
  rfc: docs/rfc/{phase}.md      # relative to phases.yaml (this is the default)
  roles: [tech-lead, dba]       # default: the roles under the phase's approvers:
```

Approvals come from git trailers ``Approved-by: Name <email>`` on commits that touch the RFC
(the role is the approver whose ``name`` matches, or given as ``Approved-by: Name <email> (role)``)
and from the sign-off file (``prepctl signoff PHASE --as ROLE --name NAME``).

An approval older than the RFC's last *content* change is stale and does not count: approvers
signed what the RFC said then. What counts as content: everything except the generated regions
that only report state (current status, verdicts, the sign-off table), so re-rendering today's
verdicts does not void yesterday's approvals, while changing a task, a date or a criterion does.
The rules live in ``prepctl.signoff``.
"""

from __future__ import annotations

from prepctl.gates.base import Gate
from prepctl.plan.model import Phase
from prepctl.signoff.spec import SignoffSpec
from prepctl.signoff.state import signoff_state
from prepctl.signoff.verdict import state_verdict
from prepctl.sources.context import GateContext
from prepctl.verdicts import Verdict


class SignoffGate(Gate[SignoffSpec]):
    kind = "signoff"
    options = SignoffSpec

    def check(self, spec: SignoffSpec, phase: Phase, ctx: GateContext) -> Verdict:
        return state_verdict(signoff_state(ctx.plan, phase, spec))
