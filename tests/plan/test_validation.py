from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prepctl.errors import ConfigError
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE, PHASES
from tests.support.plans import load_plan, write_plan

PATHS_CRITERION = """
- id: a
  kind: paths
  title: x exists
  exists: [x.txt]
"""


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    return [str(p) for p in info.value.problems]


def test_repository_plan_is_valid_and_covers_five_phases():
    plan = load_plan(PHASES)
    assert [p.id for p in plan.phases] == ["phase-0", "phase-1", "phase-2", "phase-3", "phase-4"]
    assert plan.root == EXAMPLE.resolve()
    for phase in plan.phases:
        assert phase.owners and phase.tasks and phase.deliverables and phase.criteria


def test_misspelled_key_gives_file_line_and_suggestion(tmp_path: Path):
    path = write_plan(tmp_path, """
        - id: a
          kind: issues
          title: no open P1
          report: R.md
          max_opn: 0
        """)
    result = run_cli("-c", path, "validate")
    assert result.code == 2
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "max_opn" in text)
    assert f"{path}:{line}:" in result.stderr
    assert "unknown key 'max_opn'" in result.stderr
    assert "did you mean 'max_open'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_misspelled_phase_key_suggests(tmp_path: Path):
    path = tmp_path / "phases.yaml"
    path.write_text("version: 1\nname: n\nphases:\n  - id: p\n    title: t\n    weeks: 0-1\n"
                    "    ownrs: [me]\n    criteria: []\n")
    problems = _problems(path)
    assert any(":7:5: unknown key 'ownrs' (did you mean 'owners'?)" in p for p in problems)


def test_unknown_kind_suggests_closest(tmp_path: Path):
    path = write_plan(tmp_path, "- {id: a, kind: pathz, title: t, exists: [x]}")
    problems = _problems(path)
    assert any("unknown gate kind 'pathz'" in p and "did you mean 'paths'?" in p for p in problems)


def test_duplicate_criterion_ids_rejected(tmp_path: Path):
    path = write_plan(tmp_path, PATHS_CRITERION + PATHS_CRITERION)
    assert any("duplicate criterion id 'a'" in p for p in _problems(path))


def test_duplicate_yaml_key_rejected_with_line(tmp_path: Path):
    path = tmp_path / "phases.yaml"
    path.write_text("version: 1\nname: a\nname: b\nphases: []\n")
    problems = _problems(path)
    assert any(":3:" in p and "duplicate key" in p for p in problems)


def _two_phases(tmp_path: Path, deps_a: str, deps_b: str, id_b: str = "b") -> Path:
    crit = "    criteria: [{id: c, kind: paths, title: t, exists: [x]}]\n"
    path = tmp_path / "phases.yaml"
    path.write_text(
        "version: 1\nname: n\nphases:\n"
        f"  - id: a\n    title: A\n    weeks: 0-1\n    owners: [o]\n    depends_on: {deps_a}\n{crit}"
        f"  - id: {id_b}\n    title: B\n    weeks: 1-2\n    owners: [o]\n    depends_on: {deps_b}\n{crit}")
    return path


def test_unknown_dependency_rejected_with_suggestion(tmp_path: Path):
    problems = _problems(_two_phases(tmp_path, "[]", "[aa]"))
    assert any("depends on unknown phase 'aa'" in p and "did you mean 'a'?" in p for p in problems)


def test_dependency_cycle_is_printed(tmp_path: Path):
    problems = _problems(_two_phases(tmp_path, "[b]", "[a]"))
    assert any("dependency cycle: " in p and ("a -> b -> a" in p or "b -> a -> b" in p) for p in problems)


def test_dependency_cycle_names_each_dependency_in_order_and_the_dependant_line(tmp_path: Path):
    crit = "    criteria: [{id: c, kind: paths, title: t, exists: [x]}]\n"
    phases = {"p0": "[]", "a": "[c]", "b": "[a]", "c": "[b]"}  # c needs b needs a needs c
    body = "".join(f"  - id: {pid}\n    title: T\n    weeks: 0-1\n    owners: [o]\n"
                   f"    depends_on: {deps}\n{crit}" for pid, deps in phases.items())
    path = tmp_path / "phases.yaml"
    path.write_text("version: 1\nname: n\nphases:\n" + body)
    problems = [p for p in _problems(path) if "dependency cycle" in p]
    assert len(problems) == 1
    found = re.search(r"dependency cycle: ((?:[\w-]+ -> )+[\w-]+)", problems[0])
    assert found is not None
    chain = found.group(1).split(" -> ")
    assert chain[0] == chain[-1] and sorted(chain[:-1]) == ["a", "b", "c"]
    for dependency, dependant in zip(chain, chain[1:], strict=False):  # "x -> y": y depends on x
        assert dependency in phases[dependant]
    # the position given is the depends_on of the second phase in the chain (a dependant)
    line = int(problems[0].split(":")[1])
    assert path.read_text().splitlines()[line - 1].strip().startswith("depends_on:")
    assert f"id: {chain[1]}" in path.read_text().splitlines()[line - 6]


def test_a_phase_depending_on_itself_is_a_cycle(tmp_path: Path):
    problems = _problems(_two_phases(tmp_path, "[a]", "[]"))
    assert any("dependency cycle: a -> a" in p for p in problems)


def test_duplicate_phase_ids_rejected(tmp_path: Path):
    problems = _problems(_two_phases(tmp_path, "[]", "[]", id_b="a"))
    assert any("duplicate phase id 'a'" in p for p in problems)


def test_missing_required_key_and_bad_weeks(tmp_path: Path):
    path = tmp_path / "phases.yaml"
    path.write_text("version: 1\nname: n\nphases:\n  - id: p\n    weeks: 5-2\n    owners: [o]\n"
                    "    criteria: [{id: c, kind: paths, title: t, exists: [x]}]\n")
    problems = _problems(path)
    assert any("missing required key 'title'" in p for p in problems)
    assert any("weeks end (2) is before start (5)" in p for p in problems)


def test_kind_options_are_validated(tmp_path: Path):
    path = write_plan(tmp_path, "- {id: a, kind: paths, title: t}")
    assert any("needs 'exists' or 'absent'" in p for p in _problems(path))


def test_yaml_syntax_error_is_located(tmp_path: Path):
    path = tmp_path / "phases.yaml"
    path.write_text("version: 1\nname: [unclosed\nphases: []\n")
    result = run_cli("-c", path, "validate")
    assert result.code == 2 and str(path) in result.stderr and "YAML syntax error" in result.stderr


def test_missing_config_file_is_exit_2(tmp_path: Path):
    result = run_cli("-c", tmp_path / "nope.yaml", "validate")
    assert result.code == 2 and "file not found" in result.stderr and "Traceback" not in result.stderr


def test_bad_root_is_reported(tmp_path: Path):
    path = write_plan(tmp_path, PATHS_CRITERION, root="missing-folder")
    assert any("is not a folder" in p for p in _problems(path))


def test_schema_command_prints_json_schema_with_every_kind():
    result = run_cli("schema")
    assert result.code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    kinds = schema["$defs"]["UntypedCriterion"]["properties"]["kind"]["enum"]
    assert {"paths", "issues", "manual", "command"} <= set(kinds)
    assert "Criterion_paths" in schema["$defs"]


def test_schema_accepts_the_repository_plan():
    import jsonschema
    import yaml

    schema = json.loads(run_cli("schema").stdout)
    jsonschema.Draft202012Validator(schema).validate(
        json.loads(json.dumps(yaml.safe_load(PHASES.read_text()), default=str)))
    bad = yaml.safe_load(PHASES.read_text())
    bad["phases"][0]["criteria"][0]["max_opn"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(bad, default=str)))


def test_phase_dag_order_and_predecessors():
    plan = load_plan(PHASES)
    order = plan.order()
    assert order.index("phase-0") < order.index("phase-1") < order.index("phase-4")
    assert plan.predecessors("phase-3") == ["phase-0", "phase-2"]


def test_merge_keys_inherit_and_override(tmp_path: Path):
    path = write_plan(tmp_path, """
        - &base {id: a, kind: paths, title: shared title, exists: [phases.yaml], advisory: true}
        - <<: *base
          id: b
          advisory: false
        """)
    plan = load_plan(path)
    a, b = plan.phases[0].criteria
    assert (b.id, b.title, b.advisory, b.exists) == ("b", "shared title", False, ["phases.yaml"])
    assert a.advisory is True
    # Own keys keep their own lines; merged keys point at the mapping they were merged into.
    own = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "id: b" in text)
    assert plan.positions[("phases", 0, "criteria", 1, "id")][0] == own
    assert plan.positions[("phases", 0, "criteria", 1, "title")][0] == own - 1


def test_dates_are_validated_by_the_model_not_the_yaml_reader(tmp_path: Path):
    path = write_plan(tmp_path, PATHS_CRITERION, extra="start_date: 2026-02-29")
    (problem,) = _problems(path)
    assert ":4:1: start_date: Input should be a valid date" in problem
    path.write_text(path.read_text().replace("2026-02-29", "2028-02-29"))
    assert str(load_plan(path).model.start_date) == "2028-02-29"


def test_several_merged_mappings_the_first_wins_and_own_keys_win_over_all(tmp_path: Path):
    path = write_plan(tmp_path, """
        - &x {id: x, kind: paths, title: from x, exists: [phases.yaml]}
        - &y {id: y, kind: paths, title: from y, exists: [nothing-here], advisory: true}
        - {<<: [*x, *y], id: z}
        """)
    z = load_plan(path).phases[0].criteria[2]
    assert (z.id, z.title, z.exists, z.advisory) == ("z", "from x", ["phases.yaml"], True)


def test_phase_order_matches_networkx_on_random_dags(tmp_path: Path):
    """The plain-Python order is networkx's lexicographical topological sort (ties in file order),
    and predecessors are networkx's ancestors in that order, on 200 random plans."""
    import random

    import networkx as nx

    rng = random.Random(16)
    for round_ in range(200):
        count = rng.randint(1, 9)
        ids = [f"p{i}" for i in rng.sample(range(20), count)]
        # Dependencies only on phases earlier in a hidden order: always a DAG, any file order.
        hidden = ids[:]
        rng.shuffle(hidden)
        deps = {pid: sorted(rng.sample(hidden[:k], rng.randint(0, min(3, k)))) for k, pid in enumerate(hidden)}
        body = "".join(f"  - id: {pid}\n    title: T\n    weeks: 0-1\n    owners: [o]\n"
                       f"    depends_on: [{', '.join(deps[pid])}]\n"
                       "    criteria: [{id: c, kind: paths, title: t, exists: [x]}]\n" for pid in ids)
        path = tmp_path / f"plan{round_}.yaml"
        path.write_text("version: 1\nname: n\nphases:\n" + body)
        plan = load_plan(path)
        graph = nx.DiGraph()
        graph.add_nodes_from(ids)
        graph.add_edges_from((d, pid) for pid in ids for d in deps[pid])
        index = {pid: i for i, pid in enumerate(ids)}
        expected = list(nx.lexicographical_topological_sort(graph, key=lambda n: index[n]))
        assert plan.order() == expected
        for pid in ids:
            assert plan.predecessors(pid) == [p for p in expected if p in nx.ancestors(graph, pid)]
