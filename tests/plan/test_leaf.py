"""The plan is a leaf: nothing it imports, at any depth (function-level and TYPE_CHECKING imports
count), reaches the gates, the sources, the formats or the commands. The loader is handed the
gate kinds instead (``kinds=``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "prepctl"
UPPER = ("prepctl.gates", "prepctl.sources", "prepctl.formats", "prepctl.commands", "prepctl.cli",
         "prepctl.evaluate", "prepctl.documents", "prepctl.signoff", "prepctl.slo")


def module_file(name: str) -> Path | None:
    """The file of a prepctl module, or of the nearest package above a name imported from it."""
    parts = name.split(".")[1:]
    while parts:
        for candidate in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
        parts = parts[:-1]
    return None


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("prepctl.")}


def reached_from(start: list[Path]) -> dict[Path, list[str]]:
    """Every prepctl module file reached from ``start``, with one import chain to it."""
    chains = {path: [path.name] for path in start}
    todo = list(start)
    while todo:
        path = todo.pop()
        for name in imports_of(path):
            target = module_file(name)
            if target is not None and target not in chains:
                chains[target] = [*chains[path], name]
                todo.append(target)
    return chains


def test_the_plan_reaches_no_gate_source_format_or_command():
    chains = reached_from(sorted((PACKAGE / "plan").glob("*.py")))
    upward = {path: chain for path, chain in chains.items()
              if any(chain[-1] == top or chain[-1].startswith(top + ".") for top in UPPER)}
    assert not upward, "\n".join(" -> ".join(chain) for chain in upward.values())
    assert len(chains) > len(list((PACKAGE / "plan").glob("*.py")))  # control: imports were followed


def test_the_control_would_catch_the_old_cycle(tmp_path: Path):
    """Control: a plan module that imports the gate registry, even inside a function, is caught."""
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from prepctl.gates import registry\n", encoding="utf-8")
    chains = reached_from([planted])
    assert any(chain[-1].startswith("prepctl.gates") for chain in chains.values())
