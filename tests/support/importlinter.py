"""Both sides of the import-linter differential: lint-imports as a subprocess, prepctl through
the library (build_graph + the translated contracts)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from prepctl.graph.importlinter import check, read_config
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import GraphError
from prepctl.graph.scan.config import ScanConfig

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
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
    parsed = read_config(config)
    settings = GraphSettings(root=root, scan=ScanConfig(include=(".",), packages=tuple(parsed.root_packages)))
    graph = build_graph(settings)
    verdicts = {}
    for contract in parsed.contracts:
        try:
            verdicts[contract.name] = "kept" if check(contract, graph).kept else "broken"
        except GraphError:
            verdicts[contract.name] = "error"
    return verdicts
