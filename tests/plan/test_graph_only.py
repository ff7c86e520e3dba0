"""A config with no phases (only `graph:`): the graph commands run its `graph: contracts:`, the
commands about phases refuse it clearly (exit 2, never an empty pass)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from prepctl.errors import ConfigError
from prepctl.graph.load import GraphSettings, plan_contracts, settings_from_plan
from prepctl.plan.model import Plan
from tests.support.cli import run_cli
from tests.support.plans import load_plan

#: Discovery must see only the test's files, whatever the shell exports.
NO_ENV = {"PREPCTL_CONFIG": "", "PREPCTL_ROOT": ""}

GRAPH_ONLY = """\
graph:
  contracts:
    - id: api-not-orm
      title: the API goes through repositories
      contract:
        type: forbidden
        source: [shop.api]
        forbidden: [shop.orm]
        transitive: false
"""


def make_checkout(folder: Path, violated: bool) -> None:
    """shop.api, shop.orm and shop.repo; shop.api imports shop.orm only when ``violated``."""
    package = folder / "shop"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "orm.py").write_text("")
    (package / "repo.py").write_text("from shop import orm\n")
    (package / "api.py").write_text("from shop import orm\n" if violated else "from shop import repo\n")


def write(folder: Path, text: str, name: str = "phases.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_graph_only_config_is_valid_and_names_default_to_the_folder(tmp_path: Path):
    folder = tmp_path / "billing"
    folder.mkdir()
    plan = load_plan(write(folder, GRAPH_ONLY))
    assert plan.phases == [] and plan.model.name == "billing"
    assert [(c, o.type) for c, o in plan_contracts(settings_from_plan(plan))] == [("api-not-orm", "forbidden")]
    result = run_cli("validate", cwd=folder, env=NO_ENV)
    assert result.code == 0, result.stderr
    assert "0 phases, 0 criteria, 1 graph contracts" in result.stdout
    assert "declares no phases" in result.stderr  # a note, not an error


@pytest.mark.parametrize("violated, code", [(True, 1), (False, 0)])
def test_graph_check_runs_graph_contracts(tmp_path: Path, violated: bool, code: int):
    make_checkout(tmp_path, violated)
    write(tmp_path, GRAPH_ONLY)
    result = run_cli("graph", "check", cwd=tmp_path, env=NO_ENV)
    assert result.code == code, result.stdout + result.stderr
    assert "api-not-orm" in result.stdout
    assert ("shop.api imports shop.orm" in result.stdout) is violated


def test_graph_contracts_run_beside_phase_contracts(tmp_path: Path):
    make_checkout(tmp_path, violated=False)
    write(tmp_path, GRAPH_ONLY + textwrap.dedent("""\
        phases:
          - id: p1
            title: t
            weeks: 0-1
            owners: [me]
            criteria:
              - id: repo-not-api
                kind: imports
                title: t
                contract: {type: forbidden, source: [shop.repo], forbidden: [shop.api]}
        """))
    plan = load_plan(tmp_path / "phases.yaml")
    settings = settings_from_plan(plan)
    assert [c for c, _ in plan_contracts(settings)] == ["p1/repo-not-api", "api-not-orm"]
    assert [c for c, _ in plan_contracts(settings, "p1")] == ["p1/repo-not-api"]  # they belong to no phase
    assert plan_contracts(GraphSettings(root=tmp_path)) == []
    unbound = Plan.model_validate({"graph": {"contracts": [{"id": "x", "contract": {"type": "acyclic"}}]}})
    plan.model = unbound  # a plan built without the loader: its contract was never typed
    with pytest.raises(ConfigError, match="graph contract 'x' was never validated"):
        plan_contracts(settings)
    result = run_cli("graph", "check", cwd=tmp_path, env=NO_ENV)
    assert result.code == 0, result.stdout + result.stderr
    assert "p1/repo-not-api" in result.stdout and "api-not-orm" in result.stdout


@pytest.mark.parametrize("command", [["gate", "--all"], ["gate", "p1"], ["status"], ["render", "rfc"],
                                     ["report", "--out", "d.html"], ["history"],
                                     ["signoff", "p1", "--as", "r", "--name", "n"],
                                     ["baseline", "capture", "p1"]])
def test_commands_about_phases_refuse_a_graph_only_config(tmp_path: Path, command: list[str]):
    make_checkout(tmp_path, violated=False)
    write(tmp_path, GRAPH_ONLY)
    result = run_cli(*command, cwd=tmp_path, env=NO_ENV)
    assert result.code == 2, result.stdout + result.stderr
    assert "phases.yaml declares no phases" in result.stderr
    assert "docs/phases-yaml.md" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_the_library_evaluates_a_graph_only_config_as_error_not_pass(tmp_path: Path):
    from prepctl import api
    from prepctl.verdicts import Status

    report = api.evaluate(api.load_plan(path=write(tmp_path, GRAPH_ONLY)))
    assert report.phases == [] and report.status is Status.ERROR


def test_an_explicit_empty_phases_list_is_a_graph_only_config(tmp_path: Path):
    make_checkout(tmp_path, violated=True)
    path = write(tmp_path, "name: n\nphases: []\n" + GRAPH_ONLY)
    gate = run_cli("-c", path, "gate", "--all", env=NO_ENV)
    assert gate.code == 2
    assert f"{path}:2:1: phases.yaml declares no phases; `prepctl gate` needs at least one" in gate.stderr
    assert run_cli("-c", path, "graph", "check", env=NO_ENV).code == 1


def test_an_empty_config_has_no_contracts_to_pass(tmp_path: Path):
    make_checkout(tmp_path, violated=False)
    write(tmp_path, "name: n\n")
    result = run_cli("graph", "check", cwd=tmp_path, env=NO_ENV)
    assert result.code == 2
    assert "no contracts: no `imports` criteria, no graph: contracts:" in result.stderr
    assert run_cli("graph", "cycles", cwd=tmp_path, env=NO_ENV).code == 0  # a query needs no contract


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    return [str(p) for p in info.value.problems]


def test_graph_contract_errors_name_file_line_and_column(tmp_path: Path):
    path = write(tmp_path, """\
        graph:
          contracts:
            - id: a
              contract:
                type: forbidden
                sourc: [x]
                forbidden: [y]
            - id: a
              contract: {type: forbiden, source: [x]}
            - id: b
              contract: {source: [x]}
        """)
    problems = _problems(path)
    # at the key, not at the `forbidden:` list below it; and the contract type's keys are known
    assert f"{path}:6:9: unknown key 'sourc' (did you mean 'source'?)" in problems
    assert f"{path}:4:7: missing required key 'source' in graph.contracts[0].contract" in problems
    assert any(p.startswith(f"{path}:8:7: duplicate contract id 'a'") for p in problems)
    assert (f"{path}:9:7: graph.contracts[1].contract: unknown type 'forbiden' (did you mean 'forbidden'?)"
            in problems)
    assert any(p.startswith(f"{path}:11:7: missing required key 'type' in graph.contracts[2].contract")
               for p in problems)


def test_a_tag_named_like_a_key_is_not_read_as_that_key(tmp_path: Path):
    """An imports criterion's contract error was located at its `forbidden:` list (the union's
    tag read as a key); it is at the key in error now."""
    path = write(tmp_path, """\
        phases:
          - id: p
            title: t
            weeks: 0-1
            owners: [me]
            criteria:
              - id: c
                kind: imports
                title: t
                contract:
                  type: forbidden
                  sourc: [a]
                  forbidden: [b]
        """)
    assert f"{path}:12:11: unknown key 'sourc' (did you mean 'source'?)" in _problems(path)


def test_graph_contracts_use_the_ratchet_baseline(tmp_path: Path):
    make_checkout(tmp_path, violated=True)
    (tmp_path / "shop" / "admin.py").write_text("")
    write(tmp_path, GRAPH_ONLY.replace("source: [shop.api]", "source: [shop.api, shop.admin]"))
    recorded = run_cli("graph", "check", "--update-baseline", cwd=tmp_path, env=NO_ENV)
    assert recorded.code == 0, recorded.stdout + recorded.stderr
    assert '"api-not-orm"' in (tmp_path / "imports-baseline.json").read_text()
    assert run_cli("graph", "check", cwd=tmp_path, env=NO_ENV).code == 0  # known: it warns
    (tmp_path / "shop" / "admin.py").write_text("from shop import orm\n")
    assert run_cli("graph", "check", cwd=tmp_path, env=NO_ENV).code == 1  # a new one fails
