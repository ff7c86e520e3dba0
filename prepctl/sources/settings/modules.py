"""The module a settings file is, as the folder sees it: its top-level constants and functions,
the names it imports (to follow a helper into another file of the tree, read as text and never
imported), its django-environ schemes, and the names it assigns inside blocks."""

from __future__ import annotations

import ast
from collections.abc import Callable

from prepctl.sources.settings.astutil import last_name, simple_assignment
from prepctl.sources.settings.fold import Folder

#: (module, level, importing file) -> (text, path) of that module in the tree, or None.
Loader = Callable[[str, int, str], "tuple[str, str] | None"]
#: How many other modules one file's scan may read to follow imported helpers (the loader counts).
MAX_MODULES = 40
#: Modules parsed so far in one search, by (path, text): a module rewritten mid-run is parsed
#: again, so a scan never pairs one version's helpers with the other version's blob id.
ModuleCache = dict[tuple[str, str], "ModuleIndex | None"]


class ModuleIndex:
    """One module's top-level constants, functions and ``from X import name`` names, and the
    :class:`Folder` over them; imported helpers are found through ``loader`` (read, never run)."""

    def __init__(self, text: str, rel: str, module: ast.Module, loader: Loader | None,
                 cache: ModuleCache):
        self.rel = rel
        self.loader = loader
        self.cache = cache
        self.imports: dict[str, tuple[str, int, str]] = {}
        self._resolving: set[str] = set()
        constants: dict[str, ast.expr] = {}
        helpers: dict[str, ast.FunctionDef] = {}
        for stmt in module.body:
            target, value = simple_assignment(stmt)
            if target is not None and value is not None:
                constants[target] = value
            elif isinstance(stmt, ast.FunctionDef):
                helpers[stmt.name] = stmt  # the last definition wins, as at run time
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name != "*":
                        self.imports[alias.asname or alias.name] = (stmt.module or "", stmt.level, alias.name)
        unstable = {name for stmt in module.body if not isinstance(stmt, ast.Assign | ast.AnnAssign)
                    for name in assigned_names(stmt)}
        # `from x import *` may rebind any constant assigned before it (`DEFAULT = "false"`, then a
        # star import of overrides): those are no longer the literal the module wrote.
        so_far: set[str] = set()
        for stmt in module.body:
            if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(stmt)):
                unstable |= so_far
            target, _ = simple_assignment(stmt)
            if target is not None:
                so_far.add(target)
        decouple = {local for local, (mod, level, original) in self.imports.items()
                    if mod == "decouple" and not level and original == "config"}
        self.folder = Folder(text, constants, helpers, resolver=self.resolve, unstable=unstable,
                             decouple=decouple, schemes={k: v[1] for k, v in env_schemes(module).items()})

    def resolve(self, name: str) -> tuple[Folder, ast.FunctionDef] | None:
        if name not in self.imports or self.loader is None or name in self._resolving:
            return None
        module, level, original = self.imports[name]
        self._resolving.add(name)  # `from .a import f` in a.py's package __init__ may loop
        try:
            target = self._load(module, level)
            if target is None:
                return None
            if original in target.folder.helpers:
                return target.folder, target.folder.helpers[original]
            return target.resolve(original)  # re-exported from a package __init__
        finally:
            self._resolving.discard(name)

    def _load(self, module: str, level: int) -> ModuleIndex | None:
        assert self.loader is not None
        found = self.loader(module, level, self.rel)
        if found is None:
            return None
        text, rel = found
        key = (rel, text)
        if key not in self.cache:
            try:
                tree = ast.parse(text, filename=rel)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                self.cache[key] = None
            else:
                self.cache[key] = None  # a module importing itself finds no helper, not a loop
                self.cache[key] = ModuleIndex(text, rel, tree, self.loader, self.cache)
        return self.cache[key]


def env_schemes(module: ast.Module) -> dict[str, tuple[int, ast.expr]]:
    """django-environ schemes, ``environ.Env(DEBUG=(bool, False))``: name -> (line, default)."""
    found: dict[str, tuple[int, ast.expr]] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and last_name(node.func) == "Env":
            for kw in node.keywords:
                if kw.arg is not None and isinstance(kw.value, ast.Tuple) and len(kw.value.elts) == 2:
                    found[kw.arg] = (kw.value.lineno, kw.value.elts[1])
    return found


def assigned_names(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds (not inside functions or classes it defines)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    names: set[str] = set()
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        if isinstance(node, ast.Import | ast.ImportFrom):  # `from local import DEFAULT` rebinds it
            names.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
        todo.extend(ast.iter_child_nodes(node))
    return names
