"""Imports made by calls rather than statements: ``importlib.import_module``, ``__import__``
(with its ``fromlist``), ``runpy.run_module`` and ``exec`` of literal code. A literal name is an
edge tagged ``dynamic``; a computed one, or a loader passed on under another name
(``im = importlib.import_module``), is an opaque dynamic import the scan reports at file:line,
because what it imports is unknown. ``ast_imports`` walks the AST and passes its walker in for
``exec``'s code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from prepctl.graph.scan.model import DYNAMIC_FLAG, FROM_FLAG, OPAQUE_FLAG, RawImport

#: Calls that import or run a module by name, or run code that may import: each is an edge
#: (tagged dynamic) when its argument is a literal, else a dynamic scan problem (target unknown).
LOADERS = frozenset({"__import__", "import_module", "run_module", "exec"})


def callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and func.attr != "exec":  # cursor.exec(sql) is no builtin
        return func.attr
    return ""


def is_loader_reference(node: ast.AST) -> bool:
    """A loader named without being called here (assigned, passed, imported under an alias)."""
    if isinstance(node, ast.ImportFrom):
        return node.module == "importlib" and any(a.name == "import_module" and a.asname not in
                                                  (None, "import_module") for a in node.names)
    if isinstance(node, ast.Attribute):
        return node.attr in ("import_module", "__import__")
    return isinstance(node, ast.Name) and node.id == "__import__"


def call_imports(node: ast.Call, ctx: int, walk: Callable[[ast.AST], list[RawImport]]) -> list[RawImport]:
    """The imports one call makes: ``import_module``/``__import__``/``runpy.run_module`` with a
    literal name, ``__import__("pkg", fromlist=["x"])`` (``pkg.x``, like ``from pkg import x``),
    ``exec("import x")`` with literal code (its imports, as ``dynamic``, found by ``walk``); an
    opaque dynamic import when the name or code is computed."""
    name = callee(node)
    if name not in LOADERS or not node.args:
        return []
    line = node.lineno
    opaque = RawImport(line, 0, "", (), ctx | DYNAMIC_FLAG | OPAQUE_FLAG)
    if name == "exec":
        code = node.args[0]
        if not isinstance(code, ast.Constant) or not isinstance(code.value, str):
            return [opaque]
        try:
            inner = walk(ast.parse(code.value))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return [opaque]  # fails at run time too, but what it meant to import is unknown
        return [raw._replace(line=line, flags=raw.flags | ctx | DYNAMIC_FLAG) for raw in inner]
    target = dynamic_target(node)
    if target is None:
        return [opaque]
    found = [RawImport(line, target[0], target[1], (), ctx | DYNAMIC_FLAG)]
    if name == "__import__":
        fromlist = node.args[3] if len(node.args) > 3 else next(
            (k.value for k in node.keywords if k.arg == "fromlist"), None)
        names = None if fromlist is None else _literal_names(fromlist)
        if names:
            found = [found[0]._replace(names=names, flags=found[0].flags | FROM_FLAG)]
        elif names is None and fromlist is not None:
            found.append(opaque)  # a computed fromlist: which submodules it loads is unknown
    return found


def _literal_names(node: ast.expr) -> tuple[str, ...] | None:
    """The names of a literal ``fromlist`` (a list or tuple of strings), or None if computed."""
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    names = tuple(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return names if len(names) == len(node.elts) else None


def dynamic_target(node: ast.Call) -> tuple[int, str] | None:
    """(level, module) of ``import_module("x")`` / ``__import__("x")`` with a literal name, or
    None. A relative name counts with ``import_module``'s package argument: ``__package__``
    (the importer's own package, exactly like ``from . import``) or a literal package name."""
    name = callee(node)
    if name not in ("__import__", "import_module", "run_module") or not node.args:
        return None
    first = node.args[0]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str) or not first.value:
        return None
    module = first.value
    if not module.startswith("."):
        return 0, module
    if name != "import_module":
        return None  # __import__ takes relative names only with globals and a level: not literal
    package = node.args[1] if len(node.args) > 1 else next(
        (k.value for k in node.keywords if k.arg == "package"), None)
    level = len(module) - len(module.lstrip("."))
    rest = module[level:]
    if isinstance(package, ast.Name) and package.id == "__package__":
        return level, rest
    if isinstance(package, ast.Constant) and isinstance(package.value, str) and package.value:
        bits = package.value.rsplit(".", level - 1)
        if len(bits) < level:
            return None  # beyond the top-level package: fails at run time too
        return 0, f"{bits[0]}.{rest}" if rest else bits[0]
    return None
