"""Fault corpus, category configs, area importlinter: hostile import-linter configurations.

Each case writes a small package and an import-linter configuration, runs ``prepctl graph
lint-imports`` (or ``graph check``) as a subprocess with a time limit, and checks the harness
invariants (no traceback or "internal error", no hang) plus its own promise: the exit code
(never 0 when a contract is broken or the configuration cannot be judged) and the file:line
the message must name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fault_harness import Expect, check, run_prepctl
from tests.support.trees import write

LIMIT = 60.0

PACKAGE = {"pkg/__init__.py": "", "pkg/a/__init__.py": "", "pkg/a/x.py": "import pkg.b\n",
           "pkg/b/__init__.py": "", "pkg/low/__init__.py": "", "pkg/low/y.py": "import pkg.a.x\n"}


@dataclass(frozen=True)
class ImportLinterCase:
    name: str
    guards: str  # the defect this case guards against
    config: str  # file name
    text: str
    args: tuple[str, ...]
    mentions: tuple[str, ...]


def ini(body: str) -> str:
    return f"[importlinter]\nroot_package = pkg\n\n[importlinter:contract:c]\nname = C\n{body}"


DUPLICATE_IDS = """\
[tool.importlinter]
root_packages = ["pkg"]

[[tool.importlinter.contracts]]
id = "same"
name = "b never imports a"
type = "forbidden"
source_modules = ["pkg.b"]
forbidden_modules = ["pkg.a"]

[[tool.importlinter.contracts]]
id = "same"
name = "a never imports b"
type = "forbidden"
source_modules = ["pkg.a"]
forbidden_modules = ["pkg.b"]
"""

CASES = [
    ImportLinterCase("duplicate-ids", "false pass: the second contract of one id was judged as the first",
                     "pyproject.toml", DUPLICATE_IDS, ("graph", "check"),
                     ("pyproject.toml:12:", "id 'same' is used by 2 contracts")),
    ImportLinterCase("tool-not-a-table", "internal error: AttributeError on `tool = 5`",
                     "bad.toml", "tool = 5\n", ("graph", "lint-imports", "--config", "bad.toml"),
                     ("no [tool.importlinter] table",)),
    ImportLinterCase("huge-sibling-depth", "hang: depth = 99999999 built one contract per level",
                     ".importlinter", ini("type = acyclic_siblings\nancestors = pkg\ndepth = 99999999\n"),
                     ("graph", "lint-imports"), (".importlinter:8:", "depth 99999999")),
    ImportLinterCase("missing-container-optional-layers", "false pass: nothing left to check was kept",
                     ".importlinter", ini("type = layers\ncontainers = pkg.gone\nlayers =\n    (a)\n    (low)\n"),
                     ("graph", "lint-imports"), ("pkg.gone",)),
    ImportLinterCase("wildcard-layer", "false pass: `pkg.*` above `pkg.low` overlapped the lower layer",
                     ".importlinter", ini("type = layers\nlayers =\n    pkg.*\n    pkg.low\n"),
                     ("graph", "lint-imports"), (".importlinter:", "wildcard 'pkg.*' is not a module name")),
    ImportLinterCase("list-in-a-list", "a TOML list item read as the module name \"['a']\"",
                     "pyproject.toml", '[tool.importlinter]\nroot_packages = ["pkg"]\n'
                     '[[tool.importlinter.contracts]]\nname = "L"\ntype = "layers"\nlayers = [["pkg.a"], "pkg.low"]\n',
                     ("graph", "lint-imports"), ("pyproject.toml:6:", "layers holds ['pkg.a'], not a string")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_importlinter_configuration(tmp_path: Path, case: ImportLinterCase) -> None:
    root = tmp_path / "project"
    write(root, {**PACKAGE, case.config: case.text})
    outcome = run_prepctl(*case.args, cwd=root, limit=LIMIT)
    # Never 0: each configuration is broken, unreadable or one lint-imports refuses.
    check(outcome, Expect(codes=(1, 2), mentions=case.mentions))
