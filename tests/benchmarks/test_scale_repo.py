"""The scale benchmark's generator writes the monorepo it planned, with the planned fan-in.
Shape only: timing belongs to benchmarks/scale_bench.py, never to a test."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

SCALE_REPO = Path(__file__).resolve().parents[2] / "benchmarks" / "scale_repo.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("scale_repo", SCALE_REPO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_200_modules_have_the_planned_imports_and_fan_in(tmp_path: Path) -> None:
    scale_repo = load_generator()
    repo = scale_repo.generate(tmp_path, 200, seed=3)

    assert len(repo.modules) == 200 and len(set(repo.modules)) == 200
    assert repo.hubs == ["mono.core.m000", "mono.core.m001"]
    non_hubs = [m for m in repo.modules if m not in repo.hubs]
    assert all(len(repo.imports[m]) == scale_repo.IMPORTS for m in non_hubs if repo.modules.index(m) > 10)
    counts = repo.importer_counts()
    # Zipf over the hubs: the first is the most imported module of all, by a wide margin.
    assert repo.most_imported == max(counts, key=counts.get)
    assert counts["mono.core.m000"] > counts["mono.core.m001"] > 3 * sorted(counts.values())[len(counts) // 2]
    # Same seed, same repo; every planned import is written in the module's file.
    assert scale_repo.plan(200, seed=3).imports == repo.imports
    written = 0
    for name in repo.modules:
        source = tmp_path.joinpath(*name.split(".")).with_suffix(".py").read_text()
        found = set(re.findall(r"^(?:from|import) (mono\.[\w.]+)", source, re.MULTILINE))
        assert found == set(repo.imports[name]), name
        written += len(found)
    assert written == repo.edges
    assert (tmp_path / "mono" / "__init__.py").is_file()
    assert (tmp_path / "mono" / "p00" / "s00" / "__init__.py").is_file()
