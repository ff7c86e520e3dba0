"""The declared plugin API: its names exist, and the plugin gate its docstring shows works."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path

import prepctl.plugin
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import Status


def test_every_declared_name_is_there():
    assert sorted(prepctl.plugin.__all__) == prepctl.plugin.__all__
    for name in prepctl.plugin.__all__:
        assert getattr(prepctl.plugin, name) is not None
    assert {"Gate", "GateContext", "CriterionSpec", "Verdict", "Evidence", "Status", "Registry"} <= set(
        prepctl.plugin.__all__)


def test_the_documented_plugin_gate_runs(tmp_path: Path):
    doc = prepctl.plugin.__doc__ or ""
    [code] = re.findall(r"^```python\n(.*?)^```$", doc, re.DOTALL | re.MULTILINE)
    [toml] = re.findall(r"^```toml\n(.*?)^```$", doc, re.DOTALL | re.MULTILINE)
    namespace: dict[str, object] = {}
    exec(compile(code, "prepctl.plugin docstring", "exec", dont_inherit=True), namespace)  # prepctl's own documentation
    gate = namespace["TicketGate"]
    assert tomllib.loads(toml)["project"]["entry-points"]["prepctl.gates"] == {"ticket": "ticket_gate:TicketGate"}
    assert gate.kind == "ticket" and typing.get_args(gate.options.model_fields["kind"].annotation) == ("ticket",)

    (tmp_path / "TICKET.md").write_text("status: DONE\n", encoding="utf-8")
    spec = gate.options.model_validate({"id": "t", "kind": "ticket", "title": "ticket done", "file": "TICKET.md"})
    ctx = prepctl.plugin.GateContext(plan=None, tree=WorkTree(tmp_path))  # type: ignore[arg-type]
    verdict = gate().check(spec, None, ctx)
    assert verdict.status is Status.PASS and verdict.summary == "TICKET.md: done"
