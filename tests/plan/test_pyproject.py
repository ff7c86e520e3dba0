"""[tool.prepctl] in pyproject.toml (inline plan or a pointer), PREPCTL_CONFIG / PREPCTL_ROOT,
discovery order, and precedence: flag > environment > config file > defaults."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from prepctl.errors import ConfigError
from prepctl.plan.load import discover
from prepctl.plan.tomlpos import table_positions, toml_positions
from tests.plan.test_graph_only import GRAPH_ONLY, NO_ENV, make_checkout
from tests.support.cli import run_cli
from tests.support.plans import load_plan

INLINE = """\
[project]
name = "shop"

[tool.prepctl.graph]
exclude = ["tests/*"]

[[tool.prepctl.graph.contracts]]
id = "api-not-orm"
contract = { type = "forbidden", source = ["shop.api"], forbidden = ["shop.orm"], transitive = false }
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("violated, code", [(True, 1), (False, 0)])
def test_inline_graph_contracts_run_from_a_subfolder(tmp_path: Path, violated: bool, code: int):
    make_checkout(tmp_path, violated)
    write(tmp_path / "pyproject.toml", INLINE)
    (tmp_path / "docs").mkdir()
    result = run_cli("graph", "check", cwd=tmp_path / "docs", env=NO_ENV)  # found walking up
    assert result.code == code, result.stdout + result.stderr
    assert "api-not-orm" in result.stdout


def test_inline_plan_paths_are_relative_to_pyproject_and_name_is_the_project(tmp_path: Path):
    make_checkout(tmp_path / "code", violated=False)
    write(tmp_path / "pyproject.toml", INLINE.replace("[tool.prepctl.graph]",
                                                      '[tool.prepctl]\nroot = "code"\n\n[tool.prepctl.graph]'))
    plan = load_plan(tmp_path / "pyproject.toml")
    assert plan.root == (tmp_path / "code").resolve()
    assert plan.config_dir == tmp_path and plan.model.name == "shop"
    assert plan.model.graph.exclude == ["tests/*"]
    result = run_cli("graph", "check", cwd=tmp_path / "code", env=NO_ENV)
    assert result.code == 0, result.stdout + result.stderr


def test_a_pointer_loads_the_phases_yaml_it_names(tmp_path: Path):
    make_checkout(tmp_path, violated=True)
    write(tmp_path / "ci" / "phases.yaml", "root: ..\n" + GRAPH_ONLY)
    write(tmp_path / "pyproject.toml", '[tool.prepctl]\nconfig = "ci/phases.yaml"\n')
    plan = load_plan(tmp_path / "pyproject.toml")
    assert plan.path == tmp_path / "ci" / "phases.yaml" and plan.root == tmp_path.resolve()
    assert run_cli("graph", "check", cwd=tmp_path, env=NO_ENV).code == 1


@pytest.mark.parametrize("table, message, line", [
    ('[tool.prepctl]\nconfig = "p.yaml"\nroot = "."\n', "has both config = ", 3),
    ('[tool.prepctl]\nconfig = 3\n', "tool.prepctl.config must be the path of a phases.yaml", 2),
    ('[tool.prepctl]\nconfig = "missing.yaml"\n', "missing.yaml is not a file", 2),
    ('[tool.prepctl]\nconfig = "other/pyproject.toml"\n', "a TOML file", 2),
    ('[tool]\nprepctl = 5\n', "tool.prepctl must be a table", 2),
    ('[tool.prepctl]\nroot = "."\n\n[tool.prepctl.graph]\nexclud = ["x"]\n', "unknown key 'exclud' "
     "(did you mean 'exclude'?)", 5),
    ('[tool.prepctl]\nname = "x"\n\n[[tool.prepctl.graph.contracts]]\nid = "a"\n'
     'contract = { type = "forbidden", sourc = ["a"], forbidden = ["b"] }\n', "unknown key 'sourc'", 6),
    ('[tool.prepctl\nroot = "."\n', "invalid TOML", 1),
])
def test_pyproject_errors_give_file_line_and_column(tmp_path: Path, table: str, message: str, line: int):
    path = write(tmp_path / "pyproject.toml", table)
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"{path}:{line}:") and message in p for p in problems), problems
    result = run_cli("validate", cwd=tmp_path, env=NO_ENV)
    assert result.code == 2 and f"{path}:{line}:" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_malformed_pyproject_on_the_way_up_is_an_error_not_no_config(tmp_path: Path):
    make_checkout(tmp_path, violated=False)
    write(tmp_path / "pyproject.toml", '[tool.prepctl]\nroot = "."\n[tool.prepctl]\n')
    result = run_cli("graph", "cycles", cwd=tmp_path, env=NO_ENV)
    assert result.code == 2
    assert f"{tmp_path / 'pyproject.toml'}:3:" in result.stderr and "invalid TOML" in result.stderr


def test_discovery_order(tmp_path: Path):
    top, middle, here = tmp_path / "top", tmp_path / "top" / "mid", tmp_path / "top" / "mid" / "here"
    here.mkdir(parents=True)
    write(top / "phases.yaml", GRAPH_ONLY)
    write(here / "pyproject.toml", '[project]\nname = "prepctl-fan"\n')  # says prepctl, has no table
    assert discover(here) == top / "phases.yaml"  # a pyproject.toml without [tool.prepctl] is passed over
    write(middle / "pyproject.toml", INLINE)
    assert discover(here) == middle / "pyproject.toml"
    write(middle / "phases.yaml", GRAPH_ONLY)
    assert discover(here) == middle / "phases.yaml"  # phases.yaml first in one folder
    result = run_cli("validate", cwd=here, env=NO_ENV)
    assert result.code == 0 and result.stdout.startswith(str(middle / "phases.yaml"))


def test_pyproject_without_table_here_and_phases_yaml_above(tmp_path: Path):
    make_checkout(tmp_path, violated=True)
    write(tmp_path / "phases.yaml", GRAPH_ONLY)
    write(tmp_path / "sub" / "pyproject.toml", '[tool.ruff]\nline-length = 100\n')
    result = run_cli("graph", "check", cwd=tmp_path / "sub", env=NO_ENV)
    assert result.code == 1, result.stdout + result.stderr
    assert "api-not-orm" in result.stdout


def _validated(result_stdout: str) -> tuple[str, str]:
    """(config path, root) from `prepctl validate`'s line."""
    path, rest = result_stdout.split(": ok (", 1)
    return path, rest.rsplit("root ", 1)[1].rstrip(")\n")


def test_precedence_flag_then_environment_then_discovery(tmp_path: Path):
    found = write(tmp_path / "pyproject.toml", INLINE)
    by_env = write(tmp_path / "env" / "phases.yaml", "root: ..\n" + GRAPH_ONLY)
    by_flag = write(tmp_path / "flag" / "phases.yaml", "root: ..\n" + GRAPH_ONLY)
    for folder in ("r-env", "r-flag"):
        (tmp_path / folder).mkdir()

    def run(*args: str, **env: str) -> tuple[str, str]:
        result = run_cli(*args, "validate", cwd=tmp_path, env={**NO_ENV, **env})
        assert result.code == 0, result.stderr
        return _validated(result.stdout)

    assert run() == (str(found), str(tmp_path.resolve()))
    assert run(PREPCTL_CONFIG=str(by_env))[0] == str(by_env)
    assert run("-c", str(by_flag), PREPCTL_CONFIG=str(by_env))[0] == str(by_flag)
    assert run(PREPCTL_ROOT="r-env")[1] == str((tmp_path / "r-env").resolve())
    assert run("--root", "r-flag", PREPCTL_ROOT="r-env")[1] == str((tmp_path / "r-flag").resolve())
    assert run(PREPCTL_CONFIG="")[0] == str(found)  # empty means unset


def test_prepctl_config_reaches_phase_commands_and_graph_commands(tmp_path: Path):
    make_checkout(tmp_path / "code", violated=True)
    plan = write(tmp_path / "plans" / "main.yaml", """\
        root: ../code
        graph:
          contracts:
            - id: api-not-orm
              contract: {type: forbidden, source: [shop.api], forbidden: [shop.orm], transitive: false}
        phases:
          - id: p1
            title: t
            weeks: 0-1
            owners: [me]
            criteria:
              - id: orm-exists
                kind: paths
                title: the ORM module is there
                exists: [shop/orm.py]
        """)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**NO_ENV, "PREPCTL_CONFIG": str(plan)}
    gate = run_cli("gate", "p1", cwd=elsewhere, env=env)
    assert gate.code == 0, gate.stdout + gate.stderr
    assert run_cli("graph", "check", cwd=elsewhere, env=env).code == 1
    missing = {**NO_ENV, "PREPCTL_CONFIG": str(tmp_path / "nope.yaml")}
    assert run_cli("graph", "check", cwd=elsewhere, env=missing).code == 2


def test_prepctl_root_alone_points_graph_commands_at_a_checkout(tmp_path: Path):
    make_checkout(tmp_path / "code", violated=False)
    result = run_cli("graph", "imports", "shop.api", cwd=tmp_path, env={**NO_ENV, "PREPCTL_ROOT": "code"})
    assert result.code == 0, result.stderr
    assert "shop.repo" in result.stdout


def test_toml_positions_follow_tables_arrays_and_inline_tables():
    text = ('[project]\ndescription = """\n[tool.prepctl]\nnot = "a table"\n"""\n\n'
            '[tool.prepctl]\nroot = "."  # comment\n'
            '[[tool.prepctl.phases]]\nid = "p"\n[[tool.prepctl.phases.criteria]]\nid = "a"\n'
            '[[tool.prepctl.phases.criteria]]\nid = "b"\n[[tool.prepctl.phases]]\nid = "q"\n'
            '[[tool.prepctl.phases.criteria]]\n"id" = "c"\n'
            '[tool.prepctl.graph]\nexclude = [\n  "x",\n  "y",\n]\ngroups = { a = ["m"], "b.c" = [] }\n')
    positions = table_positions(toml_positions(text), ("tool", "prepctl"))
    assert positions[()] == (7, 1) and positions[("root",)] == (8, 1)
    assert ("not",) not in positions  # inside a multi-line string
    assert positions[("phases", 0, "criteria", 1, "id")] == (14, 1)
    assert positions[("phases", 1, "criteria", 0, "id")] == (18, 1)  # numbering restarts per phase
    assert positions[("graph", "exclude", 1)] == (22, 3)
    assert positions[("graph", "groups", "b.c")] == (24, 23)


def test_pyproject_schema_accepts_a_pointer_or_an_inline_plan(tmp_path: Path):
    result = run_cli("schema", "--pyproject", env=NO_ENV)
    assert result.code == 0, result.stderr
    validator = jsonschema.Draft202012Validator(json.loads(result.stdout))
    contract = {"type": "forbidden", "source": ["a"], "forbidden": ["b"]}
    assert validator.is_valid({"config": "ci/phases.yaml"})
    assert validator.is_valid({"root": ".", "graph": {"contracts": [{"id": "x", "contract": contract}]}})
    assert not validator.is_valid({"config": "ci/phases.yaml", "root": "."})
    assert not validator.is_valid({"graph": {"contracts": [{"id": "x", "contract": {**contract, "type": "nope"}}]}})
    plan_schema = json.loads(run_cli("schema", env=NO_ENV).stdout)
    graph_only = {"graph": {"contracts": [{"id": "x", "contract": contract}]}}
    assert jsonschema.Draft202012Validator(plan_schema).is_valid(graph_only)


def test_graph_diff_judges_inline_contracts_against_a_revision(tmp_path: Path):
    import subprocess

    make_checkout(tmp_path, violated=False)
    write(tmp_path / "pyproject.toml", INLINE)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=tmp_path, check=True)
    (tmp_path / "shop" / "api.py").write_text("from shop import orm\n")
    result = run_cli("graph", "diff", "--base", "HEAD", cwd=tmp_path, env=NO_ENV)
    assert result.code == 1, result.stdout + result.stderr
    assert "api-not-orm" in result.stdout and "shop.api imports shop.orm" in result.stdout


def test_toml_positions_never_raise_or_loop_on_text_they_do_not_follow():
    import random

    rng = random.Random(15)
    alphabet = "[]{}=,\"'#\n ab.1"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert isinstance(toml_positions(text), dict)


def test_deeply_nested_toml_is_an_error_not_a_crash(tmp_path: Path):
    path = write(tmp_path / "pyproject.toml", "[tool.prepctl]\nx = " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = run_cli("-c", path, "validate", env=NO_ENV)
    assert result.code == 2 and "nested too deeply" in result.stderr
    assert "internal error" not in result.stderr


def test_the_fast_path_knows_every_variable_pydantic_settings_reads():
    from prepctl.plan.envsettings import ENV_PREFIX, EnvSettings
    from prepctl.plan.options import ENV_NAMES

    assert {f"{ENV_PREFIX}{name}".lower() for name in EnvSettings.model_fields} == ENV_NAMES


def test_prepctl_variables_are_read_case_insensitively_and_flags_win(tmp_path: Path, monkeypatch):
    from prepctl.plan.options import global_options

    monkeypatch.delenv("PREPCTL_CONFIG", raising=False)
    monkeypatch.setenv("prepctl_root", str(tmp_path))
    assert global_options(None, None).root == tmp_path
    assert global_options(None, Path("flag")).root == Path("flag")
    monkeypatch.setenv("prepctl_root", "")
    assert global_options(None, None).root is None
