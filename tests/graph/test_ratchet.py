"""The `graph check` use case as a library call: contracts judged against the ratchet baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.graph.load import GraphSettings, settings_from_plan
from prepctl.graph.ratchet import RatchetRequest, check_contracts
from prepctl.verdicts import Status
from tests.support.plans import load_plan

PLAN = """\
version: 1
name: ratchet
root: root
graph: {baseline: baseline.json}
phases:
  - id: p1
    title: one
    weeks: 0-1
    owners: [me]
    criteria:
      - id: c
        kind: imports
        title: a does not use b
        contract: {type: forbidden, source: [pkg.a], forbidden: [pkg.b]}
  - id: p2
    title: two
    weeks: 1-2
    owners: [me]
    criteria:
      - id: c
        kind: imports
        title: c does not use b
        contract: {type: forbidden, source: [pkg.c], forbidden: [pkg.b]}
"""


def _settings(tmp_path: Path) -> GraphSettings:
    package = tmp_path / "root" / "pkg"
    package.mkdir(parents=True)
    for name, text in {"__init__": "", "a": "from pkg import b\n", "b": "", "c": ""}.items():
        (package / f"{name}.py").write_text(text)
    (tmp_path / "phases.yaml").write_text(PLAN)
    return settings_from_plan(load_plan(tmp_path / "phases.yaml"))


def _write_baseline(tmp_path: Path, contracts: dict[str, list[str]]) -> None:
    (tmp_path / "baseline.json").write_text(json.dumps({"version": 1, "contracts": contracts}))


def test_update_records_one_phase_keeps_the_others_and_drops_contracts_gone_from_the_plan(tmp_path: Path):
    settings = _settings(tmp_path)
    _write_baseline(tmp_path, {"p2/c": ["pkg.c -> pkg.old"], "gone/x": ["pkg.x -> pkg.y"]})

    before = check_contracts(settings, RatchetRequest(phase="p1"))
    assert before.status is Status.FAIL and before.recorded is None
    assert [v.key for v in before.outcomes[0].new] == ["pkg.a -> pkg.b"]

    result = check_contracts(settings, RatchetRequest(phase="p1", update_baseline=True))
    # Judged against what it just recorded: the violation is known now, so it only warns.
    assert result.status is Status.WARN and result.recorded == (2, 2) and not result.errors
    assert [o.contract_id for o in result.outcomes] == ["p1/c"]
    written = json.loads((tmp_path / "baseline.json").read_text())["contracts"]
    assert written == {"p1/c": ["pkg.a -> pkg.b"], "p2/c": ["pkg.c -> pkg.old"]}


def test_every_phase_by_default_and_a_new_violation_fails(tmp_path: Path):
    settings = _settings(tmp_path)
    _write_baseline(tmp_path, {"p1/c": ["pkg.a -> pkg.b"]})
    (tmp_path / "root" / "pkg" / "c.py").write_text("import pkg.b\n")
    result = check_contracts(settings, RatchetRequest())
    assert [(o.contract_id, o.status) for o in result.outcomes] == [("p1/c", Status.WARN), ("p2/c", Status.FAIL)]
    assert result.status is Status.FAIL and result.baseline_path == tmp_path / "baseline.json"


def test_without_a_plan_or_with_an_unknown_phase_it_refuses(tmp_path: Path):
    with pytest.raises(PrepctlError, match="no contracts: no config .* and no import-linter configuration"):
        check_contracts(GraphSettings(root=tmp_path), RatchetRequest())
    with pytest.raises(PrepctlError, match="unknown phase 'p9'"):
        check_contracts(_settings(tmp_path), RatchetRequest(phase="p9"))
