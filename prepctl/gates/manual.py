"""Gate kind `manual`: a criterion no machine can check honestly needs a recorded sign-off.

```yaml
- id: read-replica
  kind: manual
  title: Read replica for analytics stood up, synced via CDC
  role: dba
```

It passes only with a sign-off by ``role`` recorded inline (``signoff: {name, role, date}``) or in
the sign-off file (``prepctl signoff PHASE --criterion ID --as ROLE --name NAME``).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import Evidence, Status, Verdict


class InlineSignOff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str
    date: date


class ManualSpec(CriterionSpec):
    kind: Literal["manual"]
    role: str
    signoff: InlineSignOff | None = None

    needs_person: ClassVar[bool] = True

    def sign_off_role(self) -> str | None:
        return self.role


class ManualGate(Gate[ManualSpec]):
    kind = "manual"
    options = ManualSpec
    does_io = False

    def check(self, spec: ManualSpec, phase: Phase, ctx: GateContext) -> Verdict:
        from prepctl.signoff.signoffs_file import load_signoffs, signoff_path

        found: list[Evidence] = []
        if spec.signoff is not None and spec.signoff.role == spec.role:
            found.append(Evidence(f"signed off by {spec.signoff.name} ({spec.signoff.role})",
                                  path=str(ctx.plan.path), value=spec.signoff.date.isoformat()))
        for entry in load_signoffs(ctx.plan):
            if entry.phase == phase.id and entry.criterion == spec.id and entry.role == spec.role:
                found.append(Evidence(f"signed off by {entry.name} ({entry.role})",
                                      path=str(signoff_path(ctx.plan)), value=entry.date.isoformat()))
        if found:
            return Verdict.of(Status.PASS, found[0].label, found)
        return Verdict.of(Status.FAIL, f"needs sign-off by {spec.role}",
                          [Evidence("no sign-off recorded", expected=f"a sign-off by {spec.role}",
                                    path=str(signoff_path(ctx.plan)))])
