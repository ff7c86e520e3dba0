"""One ``--format`` vocabulary: every command family that writes Markdown calls it ``markdown``
and also accepts ``md``, a hidden alias that no help text or choice list shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.plans import write_plan

CRITERION = """
- id: present
  kind: paths
  title: a exists
  exists: [pkg/a.py]
"""

# One command per family, each printing Markdown to standard output: (command, its arguments).
FAMILIES = {
    "gate": (["gate"], ["p"]),
    "graph": (["graph", "cycles"], []),
    "render": (["render", "rfc"], ["p", "--out", "-"]),
}


def _project(tmp_path: Path) -> Path:
    package = tmp_path / "root" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("from pkg import a\n")
    write_plan(tmp_path, CRITERION, root="root")
    return tmp_path / "phases.yaml"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_md_is_a_hidden_spelling_of_markdown(tmp_path: Path, family: str):
    plan = _project(tmp_path)
    command, arguments = FAMILIES[family]
    env = {"PREPCTL_NO_HISTORY": "1"}
    spelled_out = run_cli("-c", plan, *command, *arguments, "--format", "markdown", env=env)
    short = run_cli("-c", plan, *command, *arguments, "-f", "md", env=env)
    assert spelled_out.code == 0, spelled_out.stderr
    assert (short.code, short.stdout, short.stderr) == (0, spelled_out.stdout, spelled_out.stderr)
    assert "|" in spelled_out.stdout  # a Markdown table, not the default text table

    shown = run_cli(*command, "--help").stdout
    assert "markdown" in shown and not re.search(r"(?<![.\w])md\b", shown), shown  # PHASE.md is a file name


def test_an_unknown_format_lists_only_the_real_choices(tmp_path: Path):
    result = run_cli("-c", _project(tmp_path), "graph", "cycles", "--format", "mdx")
    assert result.code == 2
    assert "'mdx' is not one of 'table', 'json', 'markdown'" in result.stderr
