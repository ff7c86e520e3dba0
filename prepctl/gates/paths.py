"""Gate kind `paths`: required and forbidden files, folders and globs in the monolith.

```yaml
- id: analytics-service-exists
  kind: paths
  title: Routers moved into services/analytics_api
  exists: [services/analytics_api/__init__.py]
  absent: [prep/analytics/routers.py]
```

A pattern ending in `/` names a folder. `*` matches inside one path segment, `**` across folders.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from prepctl.errors import GateError
from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.sources.tree import Tree, normalise
from prepctl.verdicts import Evidence, Status, Verdict


class PathsSpec(CriterionSpec):
    kind: Literal["paths"]
    exists: list[str] = Field(default_factory=list, description="Each must match at least one path.")
    absent: list[str] = Field(default_factory=list, description="None may match any path.")

    @model_validator(mode="after")
    def _something_to_check(self) -> PathsSpec:
        if not self.exists and not self.absent:
            raise ValueError("a paths criterion needs 'exists' or 'absent' (or both)")
        return self


def find(tree: Tree, pattern: str) -> list[str]:
    pattern = normalise(pattern)
    if any(ch in pattern for ch in "*?"):
        return tree.glob(pattern)
    if pattern.endswith("/"):
        return [pattern] if tree.is_dir(pattern.rstrip("/")) else []
    return [pattern] if tree.exists(pattern) else []


class PathsGate(Gate[PathsSpec]):
    kind = "paths"
    options = PathsSpec

    def check(self, spec: PathsSpec, phase: Phase, ctx: GateContext) -> Verdict:
        tree = ctx.tree
        # An empty or wrong root would make every `absent` check pass: refuse to believe it.
        if next(iter(tree.files()), None) is None:
            raise GateError(f"root {tree.label} contains no files; is --root right?")
        evidence: list[Evidence] = []
        missing: list[str] = []
        present: list[str] = []
        for pattern in spec.exists:
            hits = find(tree, pattern)
            if hits:
                evidence.append(Evidence(f"exists: {pattern}", path=hits[0], value=len(hits),
                                         expected=">= 1", revision=tree.revision))
            else:
                missing.append(pattern)
                evidence.append(Evidence(f"missing: {pattern}", value=0, expected=">= 1",
                                         revision=tree.revision))
        for pattern in spec.absent:
            hits = find(tree, pattern)
            if hits:
                present.append(pattern)
                evidence.extend(Evidence(f"still present: {pattern}", path=hit, expected="absent",
                                         revision=tree.revision) for hit in hits)
            else:
                evidence.append(Evidence(f"absent: {pattern}", value=0, expected="absent",
                                         revision=tree.revision))
        if missing or present:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if present:
                parts.append("still present " + ", ".join(present))
            return Verdict.of(Status.FAIL, "; ".join(parts), evidence)
        return Verdict.of(Status.PASS, f"{len(spec.exists)} required present, {len(spec.absent)} "
                          "forbidden absent", evidence)
