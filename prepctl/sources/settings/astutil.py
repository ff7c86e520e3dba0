"""Small AST helpers shared by the Python settings reader and the folder of computed defaults."""

from __future__ import annotations

import ast
from collections.abc import Iterator

_GETENV_FUNCS = frozenset({"getenv"})
_ENVIRON_METHODS = frozenset({"get", "setdefault"})


def dotted_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Subscript):  # Generic[...] style bases
        return dotted_name(node.value)
    return ""


def last_name(node: ast.expr) -> str:
    return dotted_name(node).rsplit(".", 1)[-1]


def is_environ(node: ast.expr) -> bool:
    return dotted_name(node) in ("os.environ", "environ")


def is_environment_get(call: ast.Call) -> bool:
    """``os.getenv(...)``, ``getenv(...)``, ``os.environ.get(...)``, ``os.environ.setdefault(...)``."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _GETENV_FUNCS
    if isinstance(func, ast.Attribute):
        if func.attr in _GETENV_FUNCS and dotted_name(func.value) == "os":
            return True
        return func.attr in _ENVIRON_METHODS and is_environ(func.value)
    return False


def arg(call: ast.Call, index: int, keyword_name: str) -> ast.expr | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return keyword(call, keyword_name)


def keyword(call: ast.Call, keyword_name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword_name:
            return kw.value
    return None


def literal_string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def string_arg(call: ast.Call, index: int, keyword_name: str) -> str | None:
    return literal_string(arg(call, index, keyword_name))


def simple_assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def strings_in(node: ast.expr) -> Iterator[str]:
    """String literals in a name, a list/tuple/set of names, AliasChoices(...) or AliasPath(...)."""
    text = literal_string(node)
    if text is not None:
        yield text
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for element in node.elts:
            yield from strings_in(element)
    elif isinstance(node, ast.Call):
        callee = last_name(node.func)
        if callee == "AliasChoices":
            for item in node.args:
                yield from strings_in(item)
        elif callee == "AliasPath" and node.args:
            # AliasPath("A", 0) reads A then indexes into it; the env name is its first part.
            yield from strings_in(node.args[0])
