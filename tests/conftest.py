"""Shared fixtures. Area-specific fixtures live in their own modules, listed in pytest_plugins."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "prep-monolith"
PHASES = REPO / "phases.yaml"

pytest_plugins: list[str] = ["tests.shadow_servers", "tests.live_servers"]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> CliResult:
    """Run prepctl in a subprocess, as a user would: real exit code, real stdout/stderr."""
    import os

    # Tables as prepctl prints them when piped (120 columns), whatever the outer shell exports.
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "prepctl", *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, text=True, env=full_env, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example monolith that a test may change."""
    dest = tmp_path / "prep-monolith"
    shutil.copytree(EXAMPLE, dest)
    return dest


def write_plan(folder: Path, criteria_yaml: str, root: str = ".", extra: str = "") -> Path:
    """A one-phase plan whose criteria are given as YAML (indented as a list under criteria:)."""
    body = textwrap.dedent(criteria_yaml).strip("\n")
    body = textwrap.indent(body, "      ")
    text = textwrap.dedent(f"""\
        version: 1
        name: test plan
        root: {root}
        {extra}
        phases:
          - id: p
            title: Test phase
            weeks: 0-1
            owners: [tester]
            criteria:
        """) + body + "\n"
    path = folder / "phases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def plan_writer():
    return write_plan
