"""`gate --format` takes any registered format, a plugin's too; `validate` warns about a plugin
name that a built-in shadows."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import REPO
from tests.support.plans import write_plan

CRITERION = """
- id: present
  kind: paths
  title: a exists
  exists: [a.txt]
"""

PLUGIN = '''
from prepctl.plugin import Format


class ShoutFormat(Format):
    name = "shout"

    def render(self, report):
        return f"{report.status.value.upper()}!\\n"
'''


def _installed_plugin(folder: Path) -> dict[str, str]:
    """A distribution registering the format `shout`, and a `table` that the built-in shadows."""
    dist = folder / "shout_format-1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-format\nVersion: 1\n")
    (dist / "entry_points.txt").write_text(
        "[prepctl.formats]\nshout = shout_format:ShoutFormat\ntable = shout_format:ShoutFormat\n")
    (folder / "shout_format.py").write_text(PLUGIN)
    return {"PYTHONPATH": os.pathsep.join([str(REPO), str(folder)]), "PREPCTL_NO_HISTORY": "1"}


def test_a_plugin_format_is_a_gate_format_and_a_shadowed_one_is_reported(tmp_path: Path):
    (tmp_path / "a.txt").write_text("a")
    plan = write_plan(tmp_path, CRITERION)
    plugin_dir = tmp_path / "site"
    plugin_dir.mkdir()
    env = _installed_plugin(plugin_dir)

    shout = run_cli("-c", plan, "gate", "p", "--format", "shout", env=env)
    assert (shout.code, shout.stdout) == (0, "PASS!\n"), shout.stderr
    table = run_cli("-c", plan, "gate", "p", "--format", "table", env=env)
    assert table.code == 0 and "overall: PASS" in table.stdout  # the built-in wins

    valid = run_cli("-c", plan, "validate", env=env)
    assert valid.code == 0 and valid.stdout.endswith("ok (1 phases, 1 criteria, root " + str(tmp_path) + ")\n")
    assert valid.stderr == ("prepctl: warning: the plugin format 'table' (prepctl.formats entry point) is "
                            "ignored: a built-in format has that name\n")


def test_an_unknown_gate_format_is_refused_before_any_gate_runs(tmp_path: Path):
    plan = write_plan(tmp_path, CRITERION)
    result = run_cli("-c", plan, "gate", "p", "--format", "xml", env={"PREPCTL_NO_HISTORY": "1"})
    assert result.code == 2 and result.stdout == ""
    assert result.stderr == ("prepctl: unknown format 'xml'; choose one of github, json, junit, markdown, sarif "
                             "or table\n")
