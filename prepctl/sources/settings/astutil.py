"""Small AST helpers shared by the Python settings reader and the folder of computed defaults."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

_GETENV_FUNCS = frozenset({"getenv"})
_ENVIRON_METHODS = frozenset({"get", "setdefault"})
#: The line ends Python's tokenizer counts (not \f, \v or U+2028, which str.splitlines also splits at).
_LINE_END = re.compile(r"(\r\n|\r|\n)")


def source_lines(source: str) -> list[str]:
    """``source`` split into lines with their ends, as ``ast.get_source_segment`` splits it."""
    parts = _LINE_END.split(source)
    lines = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
    return lines + [parts[-1]] if parts[-1] else lines


def source_segment(lines: Sequence[str], node: ast.AST) -> str | None:
    """``ast.get_source_segment(source, node)`` over ``source_lines(source)``, split once.

    Python 3.11's own splits the whole source again, one character at a time, on every call: in a
    3,000-line settings module folding a few hundred expressions that was 85 % of the scan."""
    lineno, end_lineno = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
    if lineno is None or end_lineno is None or col is None or end_col is None:
        return None
    if end_lineno == lineno:
        return lines[lineno - 1].encode()[col:end_col].decode()
    first = lines[lineno - 1].encode()[col:].decode()
    last = lines[end_lineno - 1].encode()[:end_col].decode()
    return "".join([first, *lines[lineno:end_lineno - 1], last])


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
