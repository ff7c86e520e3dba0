"""Helpers for the import-graph tests and benchmarks/graph_bench.py.

``generate_tree`` writes a synthetic monorepo that uses every import form the scanner handles
(absolute, relative, submodule, parenthesised, backslash-continued, function-level, under
TYPE_CHECKING, in try/except ImportError, dynamic) plus decoys that are not imports (docstrings
and strings that look like imports). ``grimp_edges`` asks grimp, in a fresh interpreter so its
import machinery never sees our sys.path, for the oracle edge set.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

FORMS = ("import", "import_as", "from_submodule", "from_names", "parenthesised", "relative",
         "function", "type_checking", "guarded", "continued", "dynamic")
#: How often each form occurs in real code, for benchmarks: Django 5.2 has 71 % `from x import
#: y`, 16 % `import x`, 7 % imports inside functions, 5 % relative, 4 % parenthesised, 1 %
#: guarded and no literal dynamic import; TYPE_CHECKING and dynamic imports get a little room here
#: because typed codebases and plugin loaders use them.
REALISTIC_MIX = {"from_names": 45, "from_submodule": 12, "import": 14, "import_as": 2, "relative": 8,
                 "parenthesised": 5, "function": 7, "type_checking": 3, "guarded": 1.5, "continued": 1,
                 "dynamic": 0.5}


@dataclass
class GeneratedTree:
    root: Path
    packages: list[str]
    modules: list[str] = field(default_factory=list)
    #: (importer, imported) of the dynamic imports written (grimp cannot see these)
    dynamic: set[tuple[str, str]] = field(default_factory=set)


def _relative(importer: list[str], target: list[str]) -> str | None:
    """`from <dots><rest> import <last>` naming ``target`` from module ``importer``, or None."""
    package = importer[:-1]
    common = 0
    while common < min(len(package), len(target) - 1) and package[common] == target[common]:
        common += 1
    if common == 0:
        return None
    level = len(package) - common + 1
    rest = ".".join(target[common:-1])
    return f"from {'.' * level}{rest} import {target[-1]}"


_FILLER = '''

class Service{n}:
    """A service object, as real modules have them.

    It keeps a cache and talks to a repository; nothing here is imported by the scanner.
    """

    DEFAULTS = {{"retries": 3, "timeout": 2.5, "name": "service-{n}", "tags": ["a", "b", "c"]}}

    def __init__(self, repository, *, cache=None) -> None:
        self.repository = repository
        self.cache = cache if cache is not None else {{}}  # shared between calls

    def fetch(self, key: str, default=None):
        """Return the cached value for ``key``, loading it on a miss."""
        if key in self.cache:
            return self.cache[key]
        try:
            value = self.repository.load(key)
        except KeyError:
            return default
        self.cache[key] = value
        return value

    def summary(self, items: list[dict]) -> str:
        total = sum(item.get("amount", 0) for item in items if item.get("status") != "void")
        lines = [f"{{item['id']:>6}} {{item.get('name', '?'):<20}} {{item.get('amount', 0):10.2f}}"
                 for item in items]
        return "\\n".join(lines + [f"total: {{total:.2f}} ({{len(items)}} items, service {n})"])

    async def refresh(self, keys):
        for key in keys:
            if not key:
                continue
            self.cache.pop(key, None)
            await self.repository.touch(key)  # the repository decides what a touch means


def helper_{n}(values, *, limit=10):
    # Keep the largest values, stable for equal ones.
    ranked = sorted(enumerate(values), key=lambda pair: (-pair[1], pair[0]))
    return [value for _, value in ranked[:limit]]
'''


def generate_tree(root: Path, packages: int = 3, subpackages: int = 3, modules: int = 6,
                  imports_per_module: int = 4, seed: int = 0, forms: tuple[str, ...] = FORMS,
                  filler: int = 0, mix: dict[str, float] | None = None) -> GeneratedTree:
    """Write packages pkgN/subM/modK.py (with __init__.py files) below ``root``.

    ``filler`` adds that many blocks of ordinary code (classes, docstrings, f-strings, comments;
    about 1.5 KB each) per module, so benchmarks read files of realistic size. ``mix`` weights the
    import forms (default: every form equally often, which is what tests want).
    """
    rng = random.Random(seed)
    tree = GeneratedTree(root, [f"pkg{p}" for p in range(packages)])
    names: list[list[str]] = []
    for p in range(packages):
        for s in range(subpackages):
            for m in range(modules):
                names.append([f"pkg{p}", f"sub{s}", f"mod{m}"])
    for p in range(packages):
        (root / f"pkg{p}").mkdir(parents=True, exist_ok=True)
        (root / f"pkg{p}" / "__init__.py").write_text(f'"""Package pkg{p}."""\n')
        for s in range(subpackages):
            folder = root / f"pkg{p}" / f"sub{s}"
            folder.mkdir(exist_ok=True)
            # Half of the sub-package __init__ files import one of their modules.
            body = f"from .mod{rng.randrange(modules)} import A\n" if rng.random() < 0.5 else ""
            (folder / "__init__.py").write_text(f'"""Sub-package {s}."""\n{body}')
    for parts in names:
        tree.modules.append(".".join(parts))
        lines = [f'"""Module {".".join(parts)}.',
                 "",
                 "Example (not an import): from pkg999.nowhere import Nothing",
                 "    import pkg998.ghost",
                 '"""',
                 "from __future__ import annotations",
                 "",
                 "import os",
                 "from collections import OrderedDict",
                 "from typing import TYPE_CHECKING",
                 ""]
        body: list[str] = []
        for _ in range(imports_per_module):
            target = rng.choice(names)
            if target == parts:
                continue
            dotted = ".".join(target)
            form = rng.choices(list(mix), weights=list(mix.values()))[0] if mix else rng.choice(forms)
            if form == "import":
                lines.append(f"import {dotted}")
            elif form == "import_as":
                lines.append(f"import {dotted} as alias_{rng.randrange(10**6)}")
            elif form == "from_submodule":
                lines.append(f"from {'.'.join(target[:-1])} import {target[-1]}")
            elif form == "from_names":
                lines.append(f"from {dotted} import A, B")
            elif form == "parenthesised":
                lines.append(f"from {dotted} import (\n    A,  # the first (and only) A\n    B,\n)")
            elif form == "relative":
                statement = _relative(parts, target)
                lines.append(statement or f"from {dotted} import X")
            elif form == "function":
                body.append(f"def use_{len(body)}():\n    from {dotted} import X\n    return X")
            elif form == "type_checking":
                lines.append(f"if TYPE_CHECKING:\n    from {dotted} import T")
            elif form == "guarded":
                lines.append(f"try:\n    import {dotted}\nexcept ImportError:  # optional\n    pass")
            elif form == "continued":
                lines.append(f"from {dotted} import A, \\\n    B")
            elif form == "dynamic":
                body.append(f"def load_{len(body)}():\n    import importlib\n\n"
                            f"    return importlib.import_module({dotted!r})")
                tree.dynamic.add((".".join(parts), dotted))
        lines += ["", 'NOT_AN_IMPORT = "import pkg997.decoy"', "", "class A:", "    pass", "", "",
                  "class B:", "    pass", "", "", "T = X = A", ""]
        lines += [b + "\n\n" for b in body]
        lines += [_FILLER.format(n=i) for i in range(filler)]
        path = root / Path(*parts[:-1]) / f"{parts[-1]}.py"
        path.write_text("\n".join(lines) + "\n")
    return tree


_GRIMP = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import grimp
    graph = grimp.build_graph(*sys.argv[2:], cache_dir=None)
    edges = sorted([m, n] for m in graph.modules for n in graph.find_modules_directly_imported_by(m))
    print(json.dumps({"modules": sorted(graph.modules), "edges": edges}))
""")


def grimp_graph(root: Path, packages: list[str]) -> tuple[set[str], set[tuple[str, str]]]:
    """(modules, edges) of grimp's graph of ``packages`` found under ``root``."""
    proc = subprocess.run([sys.executable, "-c", _GRIMP, str(root), *packages], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"grimp failed: {proc.stderr[-2000:]}"
    data = json.loads(proc.stdout)
    return set(data["modules"]), {(a, b) for a, b in data["edges"]}


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout
