"""A seeded synthetic monorepo for the scale benchmark: N modules, ~10 imports each, realistic fan-in.

Layout: ``mono/core/mNNN.py`` holds the hub modules (1 % of the total, at most 100: the
models, utils and settings everyone imports) and ``mono/pNN/sNN/mNN.py`` the rest (20
sub-packages of 50 modules per package). Every module imports IMPORTS distinct others:

- 15 % a hub, chosen Zipf-like (weight 1/rank), so the first hub is imported by thousands of
  modules at 50,000 (about a quarter of them) and the last by a few hundred;
- 45 % an earlier module of its own sub-package (the dense local clusters of real code);
- 40 % any earlier module (the long-range dependencies across packages);
- one module in 200 also imports a later sibling, which makes small import cycles.

Import forms are mixed the way real code mixes them: ``import a.b.c`` and ``from a.b.c import
name``. ``generate`` writes the tree and returns what it planned, so a test can compare the two
without any scanner.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

IMPORTS = 10
HUB_SHARE, LOCAL_SHARE = 0.15, 0.45
CYCLE_EVERY = 200
MODULES_PER_SUBPACKAGE, SUBPACKAGES_PER_PACKAGE = 50, 20


@dataclass
class PlannedRepo:
    """What ``generate`` wrote: module names in layer order and each module's imports."""

    root: Path
    hubs: list[str]
    modules: list[str]
    imports: dict[str, list[str]] = field(default_factory=dict)

    @property
    def edges(self) -> int:
        return sum(len(targets) for targets in self.imports.values())

    def importer_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.modules, 0)
        for targets in self.imports.values():
            for target in targets:
                counts[target] += 1
        return counts

    @property
    def most_imported(self) -> str:
        return self.hubs[0]


def plan(modules: int, seed: int = 16) -> PlannedRepo:
    """Choose every module's imports (no files written)."""
    rng = random.Random(seed)
    hub_count = max(2, min(100, modules // 100))
    hubs = [f"mono.core.m{i:03d}" for i in range(hub_count)]
    rest: list[str] = []
    per_package = MODULES_PER_SUBPACKAGE * SUBPACKAGES_PER_PACKAGE
    for index in range(modules - hub_count):
        package, within = divmod(index, per_package)
        sub, module = divmod(within, MODULES_PER_SUBPACKAGE)
        rest.append(f"mono.p{package:02d}.s{sub:02d}.m{module:02d}")
    ordered = hubs + rest
    hub_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(hub_count)))
    repo = PlannedRepo(root=Path(), hubs=hubs, modules=ordered)
    for position, name in enumerate(ordered):
        targets: set[str] = set()
        if position < hub_count:  # a hub imports earlier hubs only, so the hubs stay acyclic
            for _ in range(min(position, 3)):
                targets.add(ordered[rng.randrange(position)])
            repo.imports[name] = sorted(targets)
            continue
        sub_start = hub_count + (position - hub_count) // MODULES_PER_SUBPACKAGE * MODULES_PER_SUBPACKAGE
        sub_end = min(sub_start + MODULES_PER_SUBPACKAGE, len(ordered))
        attempts = 0
        while len(targets) < IMPORTS and attempts < IMPORTS * 20:
            attempts += 1
            draw = rng.random()
            if draw < HUB_SHARE:
                target = hubs[bisect.bisect_left(hub_weights, rng.random() * hub_weights[-1])]
            elif draw < HUB_SHARE + LOCAL_SHARE and position > sub_start:
                target = ordered[rng.randrange(sub_start, position)]
            else:
                target = ordered[rng.randrange(position)]
            targets.add(target)
        if position % CYCLE_EVERY == 0 and position + 1 < sub_end:
            targets.add(ordered[position + 1])
        repo.imports[name] = sorted(targets)
    return repo


def module_source(name: str, targets: list[str]) -> str:
    lines = [f'"""{name}: generated for the scale benchmark."""', ""]
    for index, target in enumerate(targets):
        if index % 3 == 2:
            lines.append(f"import {target}")
        else:
            lines.append(f"from {target} import value as v{index}")
    lines += ["", "", "def value() -> int:", f'    """A body for {name.rsplit(".", 1)[-1]}."""',
              "    total = 0", f"    for step in range({len(targets)}):", "        total += step",
              "    return total", ""]
    return "\n".join(lines)


def generate(root: Path, modules: int, seed: int = 16) -> PlannedRepo:
    """Write the planned monorepo under ROOT (ROOT/mono/...) and return the plan."""
    repo = plan(modules, seed)
    repo.root = root
    folders: set[Path] = set()
    for name in repo.modules:
        path = root.joinpath(*name.split(".")).with_suffix(".py")
        for folder in [path.parent, *path.parent.parents]:
            if folder == root or folder in folders:
                break
            folders.add(folder)
    for folder in sorted(folders):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text("")
    for name in repo.modules:
        path = root.joinpath(*name.split(".")).with_suffix(".py")
        path.write_text(module_source(name, repo.imports[name]))
    return repo
