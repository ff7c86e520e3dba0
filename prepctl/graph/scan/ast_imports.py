"""The slow, certain path: a whole file parsed with ``ast`` and walked for its imports, with
their context (TYPE_CHECKING, ImportError guards) and dynamic imports (``calls``)."""

from __future__ import annotations

import ast

from prepctl.graph.scan.calls import LOADERS, call_imports, callee, is_loader_reference
from prepctl.graph.scan.model import (
    DYNAMIC_FLAG,
    FROM_FLAG,
    GUARD_ERRORS,
    GUARDED_FLAG,
    OPAQUE_FLAG,
    TYPE_CHECKING_FLAG,
    ParsedFile,
    RawImport,
)


def parse_imports_full(text: str) -> ParsedFile:
    """The slow, certain path: ``ast.parse`` the whole file and walk it."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        return ParsedFile((), (exc.lineno, f"syntax error: {msg}"), full_parse=True, verified=True)
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. absurdly deep nesting
        return ParsedFile((), (None, f"cannot parse: {type(exc).__name__}"), full_parse=True, verified=True)
    return ParsedFile(tuple(walk_imports(tree)), full_parse=True, verified=True)


def walk_imports(tree: ast.AST) -> list[RawImport]:
    found: list[RawImport] = []
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, ctx = stack.pop()
        children: list[tuple[ast.AST, int]] = []
        if isinstance(node, ast.Import):
            found.extend(RawImport(node.lineno, 0, alias.name, (), ctx) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(RawImport(node.lineno, node.level, node.module or "",
                                   tuple(a.name for a in node.names), ctx | FROM_FLAG))
        elif isinstance(node, ast.Call):
            found.extend(call_imports(node, ctx, walk_imports))
        if is_loader_reference(node):
            # `im = importlib.import_module`, `from importlib import import_module as im`: the
            # loader goes on under another name, and calls to that name are not followed.
            found.append(RawImport(getattr(node, "lineno", 1), 0, "", (), ctx | DYNAMIC_FLAG | OPAQUE_FLAG))
        if isinstance(node, ast.Call) and callee(node) in LOADERS:
            # The callee itself is no loose reference to a loader: only its arguments are walked.
            children += [(n, ctx) for n in (*node.args, *node.keywords)]
        elif isinstance(node, ast.If) and _is_type_checking_test(node.test):
            children.append((node.test, ctx))
            children += [(n, ctx | TYPE_CHECKING_FLAG) for n in node.body]
            children += [(n, ctx) for n in node.orelse]
        elif isinstance(node, ast.Try | ast.TryStar) and _catches_import_error(node.handlers):
            children += [(n, ctx | GUARDED_FLAG) for n in node.body]
            for handler in node.handlers:
                flag = GUARDED_FLAG if _handler_catches_import_error(handler) else 0
                if handler.type is not None:
                    children.append((handler.type, ctx))
                children += [(n, ctx | flag) for n in handler.body]
            children += [(n, ctx) for n in node.orelse + node.finalbody]
        else:
            children += [(n, ctx) for n in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))
    # Source order: the walk is depth-first in order; a stable sort by line settles the rest.
    found.sort(key=lambda r: r.line)
    return found


def _is_type_checking_test(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _handler_catches_import_error(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind is not None else []
    return any(isinstance(n, ast.Name) and n.id in GUARD_ERRORS for n in names)


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    return any(_handler_catches_import_error(h) for h in handlers)
