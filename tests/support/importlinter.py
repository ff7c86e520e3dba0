"""Both sides of the import-linter differential: lint-imports as a subprocess, prepctl through
the library (prepctl.graph.importlinter.check_config: build_graph + the translated contracts)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from prepctl.graph.importlinter import check_config

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
#: "Name KEPT", "Name BROKEN (2 ignored imports)", "Name KEPT (1 warning)".
VERDICT = re.compile(r"^(?P<name>.+?) (?P<verdict>KEPT|BROKEN)(?: \(\d+ [a-z ,0-9]+\))?$")


def lint_imports(root: Path, config: Path) -> dict[str, str]:
    """Contract name -> "kept"/"broken" as lint-imports reports it (with ``root`` on the path);
    a configuration lint-imports refuses is {"": "error"}."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([str(LINT_IMPORTS), str(config), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    found = {m["name"]: m["verdict"].lower() for line in done.stdout.splitlines()
             if (m := VERDICT.match(line.strip()))}
    if done.returncode not in (0, 1) or not found:
        return {"": "error"}
    return found


def prepctl_verdicts(root: Path, config: Path) -> dict[str, str]:
    """Contract name -> "kept"/"broken"/"error" from prepctl's engine on the same configuration."""
    return {v.contract.name: v.verdict for v in check_config(config, root)}
