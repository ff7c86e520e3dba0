"""Colour in the bytes prepctl writes: rich's rules (TTY_COMPATIBLE, FORCE_COLOR, NO_COLOR,
TERM=dumb, a terminal or not), end to end through click's echo, which strips ANSI off a pipe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.plans import write_plan
from tests.support.terminal import run_on_tty

NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}
ANY_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: A foreground colour (30-37, 90-97, or 256/truecolour), alone or after other attributes.
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")
BOLD = "\x1b[1m"


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    """A plan that evaluates at once and fails (an unsigned manual criterion): red in a table."""
    return write_plan(tmp_path, """
        - id: runbook-written
          title: The runbook is written
          kind: manual
          role: ops
        """)


def _status(plan: Path, env: dict[str, str]) -> str:
    # NO_COLOR="" is unset by rich's rule (and no-color.org's); run_cli sets NO_COLOR=1 otherwise.
    result = run_cli("-c", plan, "status", env={**NO_HISTORY, "NO_COLOR": "", **env})
    assert result.code == 0, result.stderr
    assert "Test phase" in result.stdout
    return result.stdout


def test_a_pipe_gets_no_ansi_by_default(plan: Path):
    assert not ANY_ANSI.search(_status(plan, {}))


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"FORCE_COLOR": "true"}, {"TTY_COMPATIBLE": "1"}])
def test_force_color_colours_a_pipe(plan: Path, env: dict[str, str]):
    out = _status(plan, env)
    assert COLOUR.search(out), out[:400]
    assert ANY_ANSI.sub("", out) == _status(plan, {})  # the same table, only coloured


def test_no_color_drops_colours_but_keeps_bold_as_rich_does(plan: Path):
    out = _status(plan, {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not COLOUR.search(out)
    assert BOLD in out


@pytest.mark.parametrize("env", [{"FORCE_COLOR": ""}, {"FORCE_COLOR": "1", "TERM": "dumb"},
                                 {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "0"}])
def test_these_switch_colour_off(plan: Path, env: dict[str, str]):
    assert not ANY_ANSI.search(_status(plan, env))


def test_gate_table_is_coloured_with_force_color(plan: Path):
    result = run_cli("-c", plan, "gate", "p", env={**NO_HISTORY, "NO_COLOR": "", "FORCE_COLOR": "1"})
    assert result.code == 1, result.stderr
    assert COLOUR.search(result.stdout)
    assert not ANY_ANSI.search(result.stderr)


def test_json_is_never_coloured(plan: Path):
    result = run_cli("-c", plan, "status", "--format", "json",
                     env={**NO_HISTORY, "NO_COLOR": "", "FORCE_COLOR": "1"})
    assert result.code == 0, result.stderr
    assert "\x1b" not in result.stdout


def test_a_terminal_gets_colour_and_no_color_takes_it_away(plan: Path):
    coloured = run_on_tty("-c", plan, "status", tty="stdout", env=NO_HISTORY)
    assert coloured.code == 0, coloured.piped
    assert COLOUR.search(coloured.terminal.decode("utf-8", "replace"))
    plain = run_on_tty("-c", plan, "status", tty="stdout", env={**NO_HISTORY, "NO_COLOR": "1"})
    assert plain.code == 0
    assert not COLOUR.search(plain.terminal.decode("utf-8", "replace"))
    assert b"Test phase" in plain.terminal


def test_gate_out_file_gets_the_table_without_colour(plan: Path, tmp_path: Path):
    out = tmp_path / "gate.txt"
    result = run_cli("-c", plan, "gate", "p", "--out", out, env={**NO_HISTORY, "NO_COLOR": "", "FORCE_COLOR": "1"})
    assert result.code == 1, result.stderr
    assert COLOUR.search(result.stdout)  # the log is coloured...
    written = out.read_text(encoding="utf-8")
    assert "\x1b" not in written  # ...the file is not
    assert written == ANY_ANSI.sub("", result.stdout)
