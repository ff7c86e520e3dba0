"""prepctl run as a user runs it: a subprocess with its real exit code, stdout and stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import REPO

#: Variables a CI runner may export that change what prepctl prints or where it writes.
OUTER_SWITCHES = frozenset({"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "PREPCTL_CACHE_DIR"})


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> CliResult:
    """Run prepctl in a subprocess, as a user would: real exit code, real stdout/stderr."""
    # Tables as prepctl prints them when piped (120 columns), whatever the outer shell exports.
    # The outer environment's colour and cache switches would change output and files written.
    inherited = {k: v for k, v in os.environ.items() if k not in OUTER_SWITCHES}
    full_env = {**inherited, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "prepctl", *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, text=True, env=full_env, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
