"""Contract `audit`: an inventory of who imports a module (Phase 0's ORM audit).

```yaml
contract:
  type: audit
  target: prep.models.orm
  report: docs/orm-audit      # optional: a committed `prepctl graph report` folder
```

The evidence is the inventory itself: every direct and transitive importer, by downstream
group, with file:line. With ``report``, the committed report must still be true: an importer
it does not list (new coupling) or one it lists that is gone (stale report) is a violation.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, field_validator

from prepctl.errors import Problem
from prepctl.graph import queries
from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    Violation,
    check_patterns,
)
from prepctl.graph.model import GraphError, ImportGraph

REPORT_JSON = "dependency-report.json"


class AuditOptions(ContractOptions):
    type: Literal["audit"]
    target: str = Field(description="The module (or package) whose importers are inventoried.")
    report: str | None = Field(None, description=(
        "Folder in the monolith holding a committed `prepctl graph report` output; it must match "
        "the code."))
    transitive: bool = Field(True, description="Inventory transitive importers too.")

    @field_validator("target")
    @classmethod
    def _pattern(cls, value: str) -> str:
        check_patterns(value)
        return value


class AuditContract(Contract[AuditOptions]):
    type = "audit"
    options = AuditOptions

    def check(self, options: AuditOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        found = queries.importers(graph, options.target, options.transitive, ctx.groups)
        current = {d.module for d in found.direct} | {t.module for t in found.transitive}
        groups = found.by_group()
        summary = "; ".join(f"{g}: {len(v['direct'])} direct, {len(v['transitive'])} transitive only"
                            for g, v in groups.items()) or "no importers"
        checked = (f"{options.target}: {len(found.direct)} direct and {len(found.transitive)} "
                   f"transitive-only importer(s) ({summary})")
        notes = [f"{d.module} imports it at {d.path}:{d.line} ({', '.join(d.names) or 'module'})"
                 for d in found.direct]
        notes += [f"{t.module} via {' -> '.join(t.chain)}" for t in found.transitive]
        if options.report is None:
            return ContractResult([], checked, notes)
        recorded = _recorded(ctx, options.report, graph)
        violations = [Violation(f"unreported: {m}", f"{m} imports {options.target} but the committed "
                                f"report in {options.report} does not list it")
                      for m in sorted(current - recorded)]
        violations += [Violation(f"stale: {m}", f"the report in {options.report} lists {m}, which no "
                                 f"longer imports {options.target}")
                       for m in sorted(recorded - current)]
        return ContractResult(violations, checked + f"; report {options.report} compared", notes)


def _recorded(ctx: ContractContext, folder: str, graph: ImportGraph) -> set[str]:
    path = f"{folder.rstrip('/')}/{REPORT_JSON}"
    if ctx.tree is None:
        raise GraphError(Problem(file=path, message="no tree to read the committed report from"))
    try:
        data = json.loads(ctx.tree.read_bytes(path))
    except FileNotFoundError:
        raise GraphError(Problem(
            file=path, message="no committed dependency report here",
            hint=f"run `prepctl graph report TARGET --out {folder}` in the monolith and commit it")) from None
    except (OSError, ValueError) as exc:
        raise GraphError(Problem(file=path, message=f"unreadable dependency report: {exc}")) from None
    try:
        return {item["module"] for item in data["direct"]} | {item["module"] for item in data.get("transitive", [])}
    except (KeyError, TypeError):
        raise GraphError(Problem(file=path, message="not a prepctl dependency report "
                                 "(needs 'direct' and 'transitive' lists of objects with 'module')")) from None
