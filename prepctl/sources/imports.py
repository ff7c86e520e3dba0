"""The Python import scanner: which module imports which, read as text, never executed.

Three steps:

1. **Find modules.** Every ``.py`` file below the configured source roots gets a module name
   from its path (``prep/models/orm.py`` -> ``prep.models.orm``), whether its folder is a regular
   package, a namespace package or a plain script folder without ``__init__.py``.
2. **Parse** each file's bytes into its *unresolved* import statements (``RawImport``). This
   depends only on the bytes, so it is cached per git blob id in a content-addressed
   ``ParseCache``: unchanged content is never parsed twice, including on a fresh clone where
   every mtime is new, or when another revision of the same file was read from git.
3. **Resolve** the statements against the set of module names (relative imports, ``from pkg
   import submodule``, one level of "imported an attribute of a module"). Cheap, done per scan.

A work tree also gets a snapshot per (folder, config): folder listings and file stat keys (to
find blob ids without reading unchanged files, like git's index) and the last result, reused
whole when nothing changed.

Parsing has a fast path: it finds the ``import`` keywords with regular expressions, lexes
strings and comments to drop keywords that are not code, and reads each ordinary import
statement with one regex match (unusual ones, e.g. continued with ``\\``, get a careful
per-statement parse). Their context (TYPE_CHECKING, try/except) comes from the enclosing block
headers; literal dynamic imports from parsing just the module-level statement that holds them.
Whenever it cannot be sure (``;``, one-line compound statements, odd headers, stray quotes,
tabs in the indentation) it falls back to ``ast.parse`` of the whole file. Both paths give
identical results; tests compare them on the standard library. With ``verify_syntax`` (the
default) every whole file is also syntax-checked once (by ruff beside the scan, see
``prepctl.sources.syntax``), so a syntax error anywhere is reported and the file skipped; the
verdict is cached with the imports, so each content pays for it once.

Which files are read and their module names (every file Python could import is scanned or
reported) live in ``prepctl.sources.scan_files``; the cache in ``prepctl.sources.parse_cache``.

Edges are tagged so contracts can include or skip them: ``type_checking`` (under
``if TYPE_CHECKING:``), ``guarded`` (in a ``try`` whose handler catches ``ImportError`` or
``ModuleNotFoundError``, or in such a handler), ``dynamic`` (``importlib.import_module("x")`` or
``__import__("x")`` with a literal absolute name, ``runpy.run_module``, ``exec`` of literal code:
see ``prepctl.sources.import_calls``).
"""

from __future__ import annotations

import ast
import bisect
import codecs
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from prepctl.sources.import_calls import DYNAMIC_FLAG, LOADERS, OPAQUE_FLAG, call_imports, callee, is_loader_reference
from prepctl.sources.parse_cache import FROM_FLAG, SCANNER_VERSION, ParseCache, ParsedFile, RawImport
from prepctl.sources.scan_files import (
    DYNAMIC,
    IMPORT,
    LAYOUT,
    RACY_NS,
    SKIPPED,
    FileEntry,
    Listing,
    ScanProblem,
    nfkc,
    other_sources,
    select_modules,
    source_roots,
    walk_problems,
    walk_starts,
    walk_work_tree,
)
from prepctl.sources.tree import Tree, WorkTree, git_blob_id

#: Kept for callers written before the naming moved to ``scan_files`` (``graph.trend``).
_FileEntry = FileEntry

#: Bump when a work tree's result can change for the same files and config (how files are
#: listed or named): the last run's snapshot is then not reused. The parse cache is kept.
SNAPSHOT_VERSION = 3
#: Files larger than this are reported and skipped: generated blobs, not code someone maintains.
DEFAULT_MAX_FILE_BYTES = 5_000_000
#: Cold scans with more than this many bytes to parse (counted four times over when every file
#: is also compiled) use every core; below it, starting workers costs more than it saves
#: (measured with benchmarks/graph_bench.py).
PARALLEL_THRESHOLD = 4_000_000
#: The Python whose grammar CPython's own checks read (``ast.parse``, ``symtable``).
_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

# Flags of a RawImport / ImportEdge, packed into one int for the cache.
_FROM = FROM_FLAG
_TYPE_CHECKING = 2
_GUARDED = 4
_DYNAMIC = DYNAMIC_FLAG
#: A dynamic import whose module name is computed: no edge, a ``dynamic`` scan problem.
_OPAQUE = OPAQUE_FLAG


# ----------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class ImportEdge:
    """One import statement's link from ``importer`` to ``imported`` (both module names).

    ``names`` are the names a ``from`` import took (``from prep.models.orm import Booking`` ->
    ``("Booking",)``; ``from prep.models import orm`` -> ``("orm",)``); empty for ``import x``.
    """

    importer: str
    imported: str
    path: str
    line: int
    names: tuple[str, ...] = ()
    type_checking: bool = False
    guarded: bool = False
    dynamic: bool = False


@dataclass(frozen=True)
class ScanConfig:
    """What to scan.

    ``include``: source roots relative to the tree (each is what would be on ``sys.path``; module
    names are relative to it). ``exclude``: path globs relative to the tree (``tests/*``,
    ``**/migrations/*``); a pattern naming a folder excludes everything below it.
    ``packages``: only these top-level packages or modules (empty: everything under the roots).
    """

    include: tuple[str, ...] = (".",)
    exclude: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    #: Check every whole file's syntax once (per content: the verdict is cached; by ruff beside
    #: the scan, see ``parse_blobs``) so any syntax error is reported and the file skipped. Off,
    #: only files whose import statements the fast path cannot read are fully parsed: faster
    #: cold, imports still exact, but a syntax error elsewhere in a file goes unreported.
    verify_syntax: bool = True

    def key(self) -> str:
        return json.dumps([SCANNER_VERSION, list(self.include), list(self.exclude),
                           list(self.packages), self.max_file_bytes, self.verify_syntax])


@dataclass(frozen=True)
class ScanStats:
    """How a scan got its data: for benchmarks and for `--verbose` style reporting."""

    files: int = 0
    parsed_fast: int = 0
    parsed_full: int = 0
    from_cache: int = 0
    snapshot_hit: bool = False
    workers: int = 1
    seconds: float = 0.0


@dataclass
class ScanResult:
    """Every module found (module -> path), the edges between them, and the files skipped.

    ``external`` holds imports of modules outside the scan, named by their top-level package
    (``sqlalchemy``), for "what does this module import" questions.
    """

    modules: dict[str, str]
    edges: list[ImportEdge]
    problems: list[ScanProblem]
    external: list[ImportEdge] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)
    #: The tree's label and revision, for evidence.
    label: str = ""
    revision: str | None = None


# ----------------------------------------------------------------------------- parsing


class _Unsure(Exception):
    """The fast path cannot be certain; parse the whole file instead."""


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
# Comments and strings. One leading character class, then the branch its character picks (by
# look-behind): the regex engine skips code with a fast class scan. Written as an alternation of
# the same branches it tried each one at every character and took twice as long (same spans on
# the 17,000 files of the standard library and site-packages).
_LEX = re.compile(
    r"[#\"'](?:(?<=#)[^\r\n]*"
    r'|(?<=")(?:""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""|[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*")'
    r"|(?<=')(?:''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''|[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*')"
    r"|)",  # a quote that opens nothing complete: unterminated string (or lexed too little)
    re.S,
)
# The literal prefix keeps the regex engine's fast search; the lookahead drops `importlib`,
# `import_module`, `imports`, ...; what precedes is checked in Python.
_IMPORT_WORD = re.compile(r"import(?!\w)")
_COMMA = re.compile(r"[ \t]*,[ \t]*")
# No look-behind: a pattern that starts with literals keeps the regex engine's fast search.
_DYNAMIC_CALL = re.compile(r"(?:__import__|import_module|run_module|exec)\b")
_NAME = r"[^\W\d]\w*"
_DOTTED_SP = rf"{_NAME}(?:[ \t]*\.[ \t]*{_NAME})*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
_ALIASED = rf"{_DOTTED}(?:[ \t]+as[ \t]+{_NAME})?"
_NAME_ALIASED = rf"{_NAME}(?:[ \t]+as[ \t]+{_NAME})?"
# A whole ordinary import statement on its own line(s): `import a.b as c, d`,
# `from ..x import y as z, w`, `from x import *`, `from x import (\n a,\n b,\n)` without comments.
_SIMPLE_STATEMENT = re.compile(
    rf"^(?P<indent>[ \t]*)(?:import[ \t]+(?P<modules>{_ALIASED}(?:[ \t]*,[ \t]*{_ALIASED})*)"
    rf"|from[ \t]+(?P<dots>\.*)(?P<module>{_DOTTED})?[ \t]+import[ \t]*"
    rf"(?:(?P<star>\*)|(?<=[ \t])(?P<names>{_NAME_ALIASED}(?:[ \t]*,[ \t]*{_NAME_ALIASED})*)"
    rf"|\((?P<pnames>[^()#]*)\)))[ \t]*(?:#[^\n]*)?$",
    re.M)  # used with .match() at a line start
_FROM_PREFIX = re.compile(rf"([ \t]*)from(?:[ \t]+|(?=\.))(\.*)[ \t]*({_DOTTED_SP})?[ \t]*")
_IMPORT_ITEM = re.compile(rf"[ \t]*({_DOTTED_SP})(?:[ \t]+as[ \t]+{_NAME})?[ \t]*")
_NAME_ITEM = re.compile(rf"\s*({_NAME})(?:\s+as\s+{_NAME})?\s*")
_TC_HEADER = re.compile(r"(?:el)?if[ \t]+(?:[\w.]+\.)?TYPE_CHECKING[ \t]*:")
_EXCEPT_HEADER = re.compile(r"except[ \t]*(?:\(([^()]*)\)|([\w.]+))(?:[ \t]+as[ \t]+\w+)?[ \t]*:")
_HEADER_WORDS = frozenset({"if", "elif", "else", "try", "except", "finally", "for", "while",
                           "with", "def", "class", "async", "match", "case"})
_GUARD_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def decode_source(data: bytes) -> str:
    """Decode Python source like the interpreter does (BOM, PEP 263 cookie, else UTF-8).

    Raises ``_DecodeProblem`` with a line number and reason.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
        encoding = "utf-8"
    else:
        encoding = "utf-8"
        for line in data.split(b"\n", 2)[:2]:
            match = _CODING.match(line)
            if match:
                encoding = match.group(1).decode("ascii", "replace")
                break
            if line.strip() and not line.lstrip().startswith(b"#"):
                break  # the cookie only counts on line 1, or line 2 after a comment line
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _DecodeProblem(1, f"unknown source encoding {encoding!r}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _DecodeProblem(line, f"cannot decode as {encoding}: {exc.reason}") from None


class _DecodeProblem(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


def parse_imports(data: bytes, max_bytes: int = DEFAULT_MAX_FILE_BYTES, verify: bool = True) -> ParsedFile:
    """The import statements in one file's bytes. Never raises for bad content: a file that
    cannot be read as Python comes back with ``problem`` set and no imports.

    With ``verify`` the whole file must compile (CPython's check, in this process), else it is
    reported and skipped; ``parse_blobs`` does that for many files at once, with ruff.
    """
    if len(data) > max_bytes:
        return ParsedFile((), (None, f"file too large ({len(data):,} bytes > {max_bytes:,}); skipped"),
                          verified=True)
    nul = data.find(b"\0")
    if nul >= 0:
        return ParsedFile((), (data.count(b"\n", 0, nul) + 1, "NUL byte in source; not Python text"),
                          verified=True)
    try:
        text = decode_source(data)
    except _DecodeProblem as exc:
        return ParsedFile((), (exc.line, exc.reason), verified=True)
    try:
        found = tuple(_parse_fast(text))
    except _Unsure:
        return parse_imports_full(text)
    if not verify:
        return ParsedFile(found)
    problem = _compile_problem(text)
    if problem is not None:
        return ParsedFile((), problem, verified=True)
    return ParsedFile(found, verified=True)


def _compile_problem(text: str) -> tuple[int | None, str] | None:
    """Why ``text`` does not compile, or None. ``symtable`` runs CPython's parser and symbol
    table in C without building Python AST objects: the cheapest complete check there is."""
    import symtable

    try:
        symtable.symtable(text, "<scanned>", "exec")
    except SyntaxError as exc:
        return exc.lineno, f"syntax error: {exc.msg or 'invalid syntax'}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"cannot parse: {type(exc).__name__}"
    return None


def parse_imports_full(text: str) -> ParsedFile:
    """The slow, certain path: ``ast.parse`` the whole file and walk it."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        return ParsedFile((), (exc.lineno, f"syntax error: {msg}"), full_parse=True, verified=True)
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. absurdly deep nesting
        return ParsedFile((), (None, f"cannot parse: {type(exc).__name__}"), full_parse=True, verified=True)
    return ParsedFile(tuple(_walk_imports(tree)), full_parse=True, verified=True)


def _walk_imports(tree: ast.AST) -> list[RawImport]:
    found: list[RawImport] = []
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, ctx = stack.pop()
        children: list[tuple[ast.AST, int]] = []
        if isinstance(node, ast.Import):
            found.extend(RawImport(node.lineno, 0, alias.name, (), ctx) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(RawImport(node.lineno, node.level, node.module or "",
                                   tuple(a.name for a in node.names), ctx | _FROM))
        elif isinstance(node, ast.Call):
            found.extend(call_imports(node, ctx, _walk_imports))
        if is_loader_reference(node):
            # `im = importlib.import_module`, `from importlib import import_module as im`: the
            # loader goes on under another name, and calls to that name are not followed.
            found.append(RawImport(getattr(node, "lineno", 1), 0, "", (), ctx | _DYNAMIC | _OPAQUE))
        if isinstance(node, ast.Call) and callee(node) in LOADERS:
            # The callee itself is no loose reference to a loader: only its arguments are walked.
            children += [(n, ctx) for n in (*node.args, *node.keywords)]
        elif isinstance(node, ast.If) and _is_type_checking_test(node.test):
            children.append((node.test, ctx))
            children += [(n, ctx | _TYPE_CHECKING) for n in node.body]
            children += [(n, ctx) for n in node.orelse]
        elif isinstance(node, ast.Try | ast.TryStar) and _catches_import_error(node.handlers):
            children += [(n, ctx | _GUARDED) for n in node.body]
            for handler in node.handlers:
                flag = _GUARDED if _handler_catches_import_error(handler) else 0
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
    return any(isinstance(n, ast.Name) and n.id in _GUARD_ERRORS for n in names)


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    return any(_handler_catches_import_error(h) for h in handlers)


class _Source:
    """A decoded file with its string/comment spans and line table, built lazily."""

    def __init__(self, text: str):
        self.text = text
        self.span_starts: list[int] = []
        self.span_ends: list[int] = []
        self.lexed_to = 0

    def lex(self, upto: int) -> None:
        """Lex strings and comments at least up to ``upto`` (in steps of a few KB, so callers
        walking line by line do not pay for a new regex scan per line)."""
        if upto <= self.lexed_to:
            return
        upto = max(upto, self.lexed_to + 4096)
        text = self.text
        # Resume after the last span; a string running past `upto` is found in full
        # because lexing only stops on a span boundary.
        pos = self.span_ends[-1] if self.span_ends else 0
        starts, ends = self.span_starts, self.span_ends
        for match in _LEX.finditer(text, pos):
            start, end = match.span()
            if end - start == 1 and text[start] != "#":  # a lone quote: unterminated string
                raise _Unsure
            starts.append(start)
            ends.append(end)
            if end >= upto:
                break
        self.lexed_to = len(text) if not ends or ends[-1] < upto else ends[-1]

    def lex_all(self) -> None:
        self.lex(len(self.text))

    def span_at(self, pos: int) -> int:
        """Index of the string/comment span containing ``pos``, or -1. Lex first."""
        index = bisect.bisect_right(self.span_starts, pos) - 1
        if index >= 0 and self.span_ends[index] > pos:
            return index
        return -1

    # Lines are addressed by the offset of their first character.

    def line_end(self, start: int) -> int:
        end = self.text.find("\n", start)
        return len(self.text) if end < 0 else end

    def line_text(self, start: int) -> str:
        return self.text[start:self.line_end(start)]

    def next_line(self, start: int) -> int | None:
        end = self.text.find("\n", start)
        return None if end < 0 else end + 1

    @staticmethod
    def line_start_of(text: str, pos: int) -> int:
        return text.rfind("\n", 0, pos) + 1

    def code_of_line(self, start: int) -> str:
        """The line without its trailing comment (comments found by the lexer)."""
        line = self.line_text(start)
        hash_at = line.find("#")
        while hash_at >= 0:
            span = self.span_at(start + hash_at)
            if span >= 0 and self.span_starts[span] == start + hash_at:
                return line[:hash_at]
            if span >= 0:  # a '#' inside a string: skip past that string
                hash_at = line.find("#", self.span_ends[span] - start)
            else:
                raise _Unsure
        return line

    def logical_start(self, start: int) -> bool:
        """Whether the line at ``start`` can begin a statement (not continued by `\\`)."""
        return start < 2 or self.text[start - 2] != "\\"


def _parse_fast(text: str) -> list[RawImport]:
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise _Unsure
    if "import" not in text:
        return []
    src = _Source(text)
    found: list[RawImport] = []
    last = text.rfind("import")
    last_line_end = text.find("\n", last)
    src.lex(len(text) if last_line_end < 0 else last_line_end)
    line_no = 1
    counted_to = 0
    covered_to = -1
    for match in _IMPORT_WORD.finditer(text):
        pos = match.start()
        if pos < covered_to:
            continue
        if pos and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
            continue  # the end of a longer name: reimport, __import__ ...
        if src.span_at(pos) >= 0:
            continue  # in a string or comment
        line_no += text.count("\n", counted_to, pos)
        counted_to = pos
        line_start = text.rfind("\n", 0, pos) + 1
        statement = _SIMPLE_STATEMENT.match(text, line_start)
        if statement is None or statement.end() <= pos:
            # Continued lines, comments inside parentheses, `x = 1; import y`: the careful way.
            covered_to, imports = _statement_at(src, pos, line_no)
            found.extend(imports)
            continue
        # The common case: the whole statement in one regex match, at C speed.
        covered_to = statement.end()
        indent = statement.group("indent")
        if not src.logical_start(line_start) or "\t" in indent or "\f" in indent:
            raise _Unsure
        flags = _context_flags(src, line_start, len(indent)) if indent else 0
        modules = statement.group("modules")
        if modules is not None:
            found.extend(RawImport(line_no, 0, item.split(None, 1)[0], (), flags)
                         for item in _COMMA.split(modules))
            continue
        names = statement.group("names")
        if names is not None:
            taken = tuple(item.split(None, 1)[0] for item in _COMMA.split(names))
        elif statement.group("star"):
            taken = ("*",)
        else:
            taken = _parse_names(statement.group("pnames"), in_parens=True)
        found.append(RawImport(line_no, len(statement.group("dots")), statement.group("module") or "",
                               taken, flags | _FROM))
    if "__import__" in text or "import_module" in text or "run_module" in text or "exec" in text:
        dynamic_lines: list[int] = []
        for match in _DYNAMIC_CALL.finditer(text):
            start = match.start()
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue  # my_import_module(...), not the function we mean
            src.lex(match.end() + 1)
            span = src.span_at(start)
            if span >= 0:
                if _is_f_string(text, src.span_starts[span]):
                    # f"{__import__('x')}" runs: the expression inside is code, not text.
                    raise _Unsure
                continue
            # A literal argument names a module; a computed one is reported (its target unknown).
            dynamic_lines.append(start)
        if dynamic_lines:
            found.extend(_dynamic_imports(src, dynamic_lines))
            found.sort(key=lambda r: r.line)
    return found


def _is_f_string(text: str, quote: int) -> bool:
    """Whether the string opening at ``quote`` has an f prefix (``f``, ``rf``, ``Fr``...)."""
    prefix = text[max(0, quote - 2):quote]
    while prefix and prefix[0].lower() not in "rbfu":
        prefix = prefix[1:]
    before = text[quote - len(prefix) - 1] if quote - len(prefix) > 0 else ""
    return "f" in prefix.lower() and not (before.isalnum() or before == "_")


_CLAUSE = re.compile(r"(?:else|elif|except|finally|case)\b|[)\]}@]")


def _top_level_start(src: _Source, pos: int) -> int:
    """Start of the module-level statement around ``pos`` (a column-0 line that begins one)."""
    start = src.line_start_of(src.text, pos)
    while True:
        line = src.line_text(start)
        if line[:1] not in " \t#\n" and line and src.span_at(start) < 0 \
                and src.logical_start(start) and not _CLAUSE.match(line):
            # Decorators belong to the statement they decorate.
            while start > 0:
                above = src.line_start_of(src.text, start - 1)
                if src.line_text(above).startswith("@") and src.span_at(above) < 0:
                    start = above
                else:
                    break
            return start
        if start == 0:
            raise _Unsure
        start = src.line_start_of(src.text, start - 1)


def _top_level_end(src: _Source, pos: int) -> int:
    text = src.text
    start = src.next_line(src.line_start_of(text, pos))
    while start is not None and start < len(text):
        src.lex(src.line_end(start) + 1)
        line = src.line_text(start)
        if line[:1] not in " \t#\n" and line and src.span_at(start) < 0 \
                and src.logical_start(start) and not _CLAUSE.match(line):
            return start
        start = src.next_line(start)
    return len(text)


def _dynamic_imports(src: _Source, positions: list[int]) -> list[RawImport]:
    """Dynamic imports, found by parsing just the module-level statements that hold them.

    Their context (a call spread over lines, inside a try) needs a real parse; a function
    is far cheaper to parse than its whole file. A fragment that does not parse on its own
    means the cut was wrong: then the whole file is parsed.
    """
    found: list[RawImport] = []
    done_to = -1
    for pos in positions:
        if pos < done_to:
            continue
        start = _top_level_start(src, pos)
        end = _top_level_end(src, pos)
        done_to = end
        try:
            fragment = ast.parse(src.text[start:end])
        except SyntaxError:
            raise _Unsure from None
        offset = src.text.count("\n", 0, start)
        for raw in _walk_imports(fragment):
            if raw.flags & _DYNAMIC:
                found.append(raw._replace(line=raw.line + offset))
    return found


def _statement_at(src: _Source, pos: int, line_no: int) -> tuple[int, list[RawImport]]:
    """Parse the import statement whose ``import`` keyword is at ``pos``."""
    text = src.text
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    if not src.logical_start(line_start):
        raise _Unsure
    if not prefix.strip():
        indent = prefix
        is_from = False
        level, module = 0, ""
    else:
        match = _FROM_PREFIX.fullmatch(prefix)
        if match is None:
            raise _Unsure  # `x = 1; import y`, `try: import y`, ...
        indent = match.group(1)
        level = len(match.group(2))
        module = re.sub(r"[ \t]", "", match.group(3) or "")
        if not level and not module:
            raise _Unsure
        is_from = True
    if "\t" in indent or "\f" in indent:
        raise _Unsure
    body_start = pos + 6
    line_end = text.find("\n", body_start)
    if line_end < 0:
        line_end = len(text)
    src.lex(line_end)
    rest = text[body_start:line_end]
    code_end = line_end
    comment = src.span_at(line_end - 1) if line_end > body_start else -1
    if comment >= 0:
        if text[src.span_starts[comment]] != "#":
            raise _Unsure
        code_end = src.span_starts[comment]
    rest = text[body_start:code_end]
    continued = False
    while code_end == line_end and rest.endswith("\\"):
        # `from x import a, \` goes on on the next line.
        if line_end >= len(text):
            raise _Unsure
        next_start = line_end + 1
        next_end = text.find("\n", next_start)
        next_end = len(text) if next_end < 0 else next_end
        src.lex(next_end)
        more = _strip_comments(src, next_start, next_end)
        rest = rest[:-1] + " " + more
        code_end = next_end if len(more) == next_end - next_start else -1
        line_end = next_end
        continued = True
    if continued and "(" in rest:
        raise _Unsure
    if is_from and rest.lstrip().startswith("("):
        open_at = body_start + rest.index("(")
        close_at = text.find(")", open_at)
        while close_at >= 0:
            src.lex(close_at + 1)
            span = src.span_at(close_at)
            if span < 0:
                break
            if text[src.span_starts[span]] != "#":
                raise _Unsure
            close_at = text.find(")", src.span_ends[span])
        if close_at < 0:
            raise _Unsure
        inner = _strip_comments(src, open_at + 1, close_at)
        tail_end = text.find("\n", close_at)
        tail_end = len(text) if tail_end < 0 else tail_end
        src.lex(tail_end)
        tail = _strip_comments(src, close_at + 1, tail_end)
        if tail.strip():
            raise _Unsure
        names = _parse_names(inner, in_parens=True)
        statement_end = tail_end
    else:
        if rest.rstrip().endswith("\\") or ";" in rest:
            raise _Unsure
        statement_end = line_end
        if is_from:
            names = _parse_names(rest, in_parens=False)
        else:
            modules = _parse_import_list(rest)
    flags = _context_flags(src, line_start, len(indent)) if indent else 0
    if is_from:
        return statement_end, [RawImport(line_no, level, module, names, flags | _FROM)]
    return statement_end, [RawImport(line_no, 0, name, (), flags) for name in modules]


def _strip_comments(src: _Source, start: int, end: int) -> str:
    out = []
    pos = start
    index = bisect.bisect_left(src.span_starts, pos)
    while index < len(src.span_starts) and src.span_starts[index] < end:
        out.append(src.text[pos:src.span_starts[index]])
        pos = src.span_ends[index]
        index += 1
    out.append(src.text[pos:end])
    return "".join(out)


def _parse_import_list(rest: str) -> list[str]:
    if not rest[:1].isspace():
        raise _Unsure
    modules = []
    for item in rest.split(","):
        match = _IMPORT_ITEM.fullmatch(item)
        if match is None:
            raise _Unsure
        modules.append(re.sub(r"[ \t]", "", match.group(1)))
    return modules


def _parse_names(rest: str, in_parens: bool) -> tuple[str, ...]:
    stripped = rest.strip()
    if not in_parens and not rest[:1].isspace():
        raise _Unsure
    if stripped == "*" and not in_parens:
        return ("*",)
    items = stripped.split(",")
    if in_parens and items and not items[-1].strip():
        items.pop()  # a trailing comma is allowed inside parentheses
    names = []
    for item in items:
        match = _NAME_ITEM.fullmatch(item)
        if match is None:
            raise _Unsure
        names.append(match.group(1))
    if not names:
        raise _Unsure
    return tuple(names)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _context_flags(src: _Source, line_start: int, indent: int) -> int:
    """TYPE_CHECKING / ImportError-guard flags of a statement, from its enclosing headers."""
    flags = 0
    start = line_start
    while indent > 0:
        candidate = _enclosing_header(src, start, indent)
        first, header = _header_text(src, candidate)
        word = re.match(r"[A-Za-z_]+", header)
        keyword = word.group(0) if word else ""
        if keyword not in _HEADER_WORDS:
            raise _Unsure
        if keyword in ("if", "elif"):
            if _TC_HEADER.fullmatch(header.strip()):
                flags |= _TYPE_CHECKING
            elif "TYPE_CHECKING" in header:
                raise _Unsure
        elif keyword == "except":
            if _except_catches(header):
                flags |= _GUARDED
        elif keyword == "try":
            if header.strip() != "try:":
                raise _Unsure
            if _try_catches(src, first):
                flags |= _GUARDED
        elif "TYPE_CHECKING" in header or "ImportError" in header or "ModuleNotFoundError" in header:
            raise _Unsure
        line = src.line_text(first)
        lead = line[: len(line) - len(line.lstrip())]
        if "\t" in lead or "\f" in lead:
            raise _Unsure
        indent = len(lead)
        start = first
    return flags


def _is_code_line(src: _Source, start: int) -> str | None:
    """The line's text if it starts code (not blank, not a comment, not inside a string)."""
    line = src.line_text(start)
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if src.span_at(start) >= 0:
        return None  # the line begins inside a multi-line string
    return line


_LESS_INDENTED: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _enclosing_header(src: _Source, line_start: int, indent: int) -> int:
    """The start of the last code line before ``line_start`` indented less than ``indent``."""
    patterns = _LESS_INDENTED.get(indent)
    if patterns is None:
        # A line with fewer than `indent` leading spaces and then something (tabs included, so
        # they can be refused below). Led by the newline before it: a pattern that starts with
        # a literal lets the regex engine jump; `^` with re.M tried every character.
        less = r" {0,%d}(?=[^ \n])" % (indent - 1)  # noqa: UP031
        patterns = _LESS_INDENTED.setdefault(indent, (re.compile("\n" + less), re.compile(less)))
    after_newline, at_start = patterns
    text = src.text
    window = 512
    high = line_start  # lines starting below this are still to be looked at
    while high > 0:
        low = src.line_start_of(text, max(0, high - window))
        hits = [m.start() + 1 for m in after_newline.finditer(text, max(0, low - 1), high)]
        if low == 0 and at_start.match(text, 0, high):
            hits.insert(0, 0)  # the first line has no newline before it
        for start in reversed(hits):
            line = _is_code_line(src, start)
            if line is None:
                continue
            lead = line[: len(line) - len(line.lstrip())]
            if "\t" in lead or "\f" in lead:
                raise _Unsure
            return start
        window *= 4
        high = low
    raise _Unsure


_BRACKET = re.compile(r"[()\[\]{}]")


def _depth_change(src: _Source, start: int, end: int) -> int:
    """Net bracket depth change over text[start:end], ignoring strings and comments."""
    depth = 0
    for match in _BRACKET.finditer(src.text, start, end):
        if src.span_at(match.start()) >= 0:
            continue
        depth += 1 if match.group() in "([{" else -1
    return depth


def _header_text(src: _Source, start: int) -> tuple[int, str]:
    """(first line, first line's code) of the compound-statement header around line ``start``.

    ``start`` is the nearest line indented less than a statement: the header itself, its first
    line (``def f(a,`` with aligned arguments), or its last (black's ``) -> None:``).
    """
    code = src.code_of_line(start).rstrip()
    stripped = code.lstrip()
    if stripped[:1] in ")]}":
        first = _bracket_opener_line(src, start + len(code) - 1)
        last = start
    else:
        first = last = start
        depth = _depth_change(src, start, start + len(code))
        while depth > 0:
            following = src.next_line(last)
            if following is None:
                raise _Unsure
            last = following
            src.lex(src.line_end(last))
            line_code = src.code_of_line(last)
            depth += _depth_change(src, last, last + len(line_code))
        if depth < 0:
            raise _Unsure
    first_code = src.code_of_line(first).lstrip()
    if first_code.startswith("@") or first_code[:1] in ")]}" or not src.logical_start(first):
        raise _Unsure
    if not src.code_of_line(last).rstrip().endswith(":"):
        raise _Unsure  # a continuation line, not a header
    if last != first:
        header = src.text[first: src.line_end(last)]
        if "TYPE_CHECKING" in header or "ImportError" in header or "ModuleNotFoundError" in header:
            raise _Unsure
    return first, first_code.rstrip()


def _bracket_opener_line(src: _Source, pos: int) -> int:
    """The line of the bracket that the closing bracket run ending at ``pos`` opened."""
    text = src.text
    depth = 0
    while pos >= 0:
        span = src.span_at(pos)
        if span >= 0:
            pos = src.span_starts[span] - 1
            continue
        char = text[pos]
        if char in ")]}":
            depth += 1
        elif char in "([{":
            depth -= 1
            if depth == 0:
                first = src.line_start_of(text, pos)
                if _is_code_line(src, first) is None:
                    raise _Unsure
                return first
        pos -= 1
    raise _Unsure


def _except_catches(header: str) -> bool:
    stripped = header.strip()
    if stripped == "except:":
        return False
    match = _EXCEPT_HEADER.fullmatch(stripped)
    if match is None:
        raise _Unsure
    names = (match.group(1) or match.group(2) or "").split(",")
    return any(name.strip() in _GUARD_ERRORS for name in names)


def _try_catches(src: _Source, try_start: int) -> bool:
    """Whether the ``try`` on the line at ``try_start`` has a handler for ImportError."""
    indent = _indent_of(src.line_text(try_start))
    catches = False
    start = src.next_line(try_start)
    while start is not None:
        src.lex(src.line_end(start) + 1)
        line = _is_code_line(src, start)
        here, start = start, src.next_line(start)
        if line is None:
            continue
        lead = line[: len(line) - len(line.lstrip())]
        if "\t" in lead or "\f" in lead:
            raise _Unsure
        if len(lead) > indent:
            continue
        stripped = line.lstrip()
        if stripped[:1] in ")]}":
            raise _Unsure
        if len(lead) < indent:
            break
        if stripped.startswith("except") and not stripped[6:7].isidentifier():
            if stripped[6:7] == "*":
                raise _Unsure
            code = src.code_of_line(here).strip()
            if not code.endswith(":"):
                raise _Unsure
            catches = catches or _except_catches(code)
            continue
        if re.match(r"(else|finally)\s*:", stripped):
            continue
        break
    return catches


# ----------------------------------------------------------------------------- resolution


def _flags_of(flags: int) -> tuple[bool, bool, bool]:
    return bool(flags & _TYPE_CHECKING), bool(flags & _GUARDED), bool(flags & _DYNAMIC)


def resolve(entries: list[FileEntry], parsed: dict[str, ParsedFile],
            modules: AbstractSet[str] | None = None,
            ) -> tuple[list[ImportEdge], list[ImportEdge], list[ScanProblem]]:
    """Turn each file's raw imports into edges between the scanned modules.

    Rules (those of grimp, so the oracle tests can compare): ``import a.b.c`` and
    ``from a.b import c`` link to ``a.b.c`` if it is a module, else to its parent ``a.b`` if that
    is one (c is then a name defined in a.b); anything else is external.

    ``modules`` (default: the entries' own) lets `graph trend` resolve only the files that
    changed in a commit against all of that commit's modules. Resolution only ever asks
    ``name in modules``, so a set that records its lookups tells which names a file depends on.
    """
    if modules is None:
        modules = {e.module for e in entries}
    edges: list[ImportEdge] = []
    external: list[ImportEdge] = []
    problems: list[ScanProblem] = []
    for entry in entries:
        result = parsed.get(entry.rel)
        if result is None:
            continue
        if result.problem is not None:
            line, reason = result.problem
            problems.append(ScanProblem(entry.rel, line, reason, SKIPPED, entry.module))
            continue
        importer = entry.module
        # Several names of one statement that land in the same module become one edge.
        pending: dict[tuple[str, int, int], list[str]] = {}
        external_seen: set[tuple[str, int]] = set()
        for raw in result.imports:
            if raw.flags & _OPAQUE:
                problems.append(ScanProblem(entry.rel, raw.line, "dynamic import with a computed module "
                                            "name (import_module/__import__/run_module/exec, or a loader "
                                            "under another name): what it imports is unknown to the graph",
                                            DYNAMIC, entry.module))
                continue
            if not raw.module.isascii() or not all(name.isascii() for name in raw.names):
                # Python reads identifiers NFKC-normalised: `import pkg.ｔarget` is pkg.target.
                raw = raw._replace(module=nfkc(raw.module), names=tuple(nfkc(n) for n in raw.names))
            if raw.level:
                package_parts = importer.split(".") if entry.is_package else importer.split(".")[:-1]
                if raw.level > len(package_parts):
                    problems.append(ScanProblem(entry.rel, raw.line, "relative import beyond the "
                                                "top-level package; ignored (it fails at run time)",
                                                IMPORT, entry.module))
                    continue
                base = ".".join(package_parts[: len(package_parts) - raw.level + 1])
                if raw.module:
                    base = f"{base}.{raw.module}"
            else:
                base = raw.module
            if raw.flags & _FROM:
                for name in raw.names:
                    target = None
                    if name != "*":
                        candidate = f"{base}.{name}"
                        if candidate in modules:
                            target = candidate
                    if target is None and base in modules:
                        target = base
                    if target is not None:
                        pending.setdefault((target, raw.line, raw.flags), []).append(name)
                    elif not raw.level:
                        _external(external, external_seen, entry, raw, base)
            else:
                target = base if base in modules else None
                if target is None:
                    parent = base.rpartition(".")[0]
                    if parent and parent in modules:
                        target = parent
                if target is not None:
                    pending.setdefault((target, raw.line, raw.flags), [])
                else:
                    _external(external, external_seen, entry, raw, base)
        for (target, line, flags), names in pending.items():
            if target == importer:
                continue  # `from . import x` inside x's own package __init__ naming itself
            tc, guarded, dynamic = _flags_of(flags)
            edges.append(ImportEdge(importer, target, entry.rel, line, tuple(names), tc, guarded, dynamic))
    return edges, external, problems


def _external(out: list[ImportEdge], seen: set[tuple[str, int]], entry: FileEntry,
              raw: RawImport, base: str) -> None:
    top = base.partition(".")[0]
    if not top or (top, raw.line) in seen:
        return
    seen.add((top, raw.line))
    tc, guarded, dynamic = _flags_of(raw.flags)
    out.append(ImportEdge(entry.module, top, entry.rel, raw.line, raw.names, tc, guarded, dynamic))


# ----------------------------------------------------------------------------- scanning


def _parse_chunk(payload: list[bytes], max_bytes: int, verify: bool) -> list[ParsedFile]:
    return [parse_imports(data, max_bytes, verify) for data in payload]


def _to_plain(parsed: ParsedFile) -> tuple:
    return (tuple(tuple(r) for r in parsed.imports), parsed.problem, parsed.full_parse, parsed.verified)


def _from_plain(item: tuple) -> ParsedFile:
    imports, problem, full_parse, verified = item
    make = RawImport._make
    return ParsedFile(tuple(make(r) for r in imports), problem, full_parse, verified)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use, e.g. in a container
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _parse_all(datas: list[bytes], max_bytes: int, verify: bool) -> tuple[list[ParsedFile], int]:
    """Parse many files, on every core when there are enough of them to pay for forking.

    Each forked child inherits the bytes (nothing is sent to it), parses one contiguous share
    and sends back its results marshalled; the parent parses the first share meanwhile. A child
    that fails has its share parsed again here, so forking can only ever cost time.
    """
    cores = _usable_cores()
    work = sum(len(d) for d in datas) * (4 if verify else 1)
    if cores < 2 or work < PARALLEL_THRESHOLD or not _can_fork():
        return _parse_chunk(datas, max_bytes, verify), 1
    bounds = _shares_by_size(datas, cores)
    children = [(low, high, _fork_parse(datas[low:high], max_bytes, verify)) for low, high in bounds[1:]]
    low, high = bounds[0]
    out = _parse_chunk(datas[low:high], max_bytes, verify)
    for low, high, child in children:
        results = _join_child(child) if child is not None else None
        out.extend(results if results is not None else _parse_chunk(datas[low:high], max_bytes, verify))
    return out, 1 + sum(1 for *_, child in children if child is not None)


def _shares_by_size(datas: list[bytes], shares: int) -> list[tuple[int, int]]:
    """Contiguous index ranges of about equal byte size (parse time follows size)."""
    total = sum(len(d) for d in datas) or 1
    bounds: list[tuple[int, int]] = []
    low = 0
    running = 0
    for index, data in enumerate(datas):
        running += len(data)
        if running * shares >= total * (len(bounds) + 1) and len(bounds) < shares - 1:
            bounds.append((low, index + 1))
            low = index + 1
    bounds.append((low, len(datas)))
    return bounds


def _fork_parse(share: list[bytes], max_bytes: int, verify: bool) -> tuple[int, int] | None:
    """Fork a child that parses ``share``; (pid, read end of its pipe), or None if fork fails."""
    import marshal

    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: parse, send, and leave without running the parent's exit code
        status = 1
        try:
            os.close(read_end)
            payload = marshal.dumps([_to_plain(p) for p in _parse_chunk(share, max_bytes, verify)])
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _join_child(child: tuple[int, int]) -> list[ParsedFile] | None:
    import marshal

    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        return [_from_plain(item) for item in marshal.loads(payload)]
    except (EOFError, ValueError, TypeError):
        return None


def parse_blobs(contents: dict[str, bytes], max_bytes: int, verify: bool,
                on_disk: dict[str, str] | None = None) -> tuple[dict[str, ParsedFile], int]:
    """Parse each blob's imports (blob id -> bytes), on every core when it pays.

    With ``verify`` every whole file is also syntax-checked, by ruff in its own process while
    the imports are read here (``on_disk`` names a file on disk with a blob's bytes; other
    blobs are checked from temporary copies). Files ruff cannot judge, or every file when ruff
    is missing or fails, are compiled by CPython instead. Returns the results and the number
    of processes that parsed.
    """
    from prepctl.sources.syntax import RuffSyntaxCheck, ruff_binary

    blobs = list(contents)
    datas = [contents[blob] for blob in blobs]
    check: RuffSyntaxCheck | None = None
    copies: str | None = None
    paths: dict[str, str] = {}
    # ruff even for a handful of files (its start costs ~8 ms): a file's verdict must not depend
    # on how many others were scanned with it, and ruff reads newer grammar than CPython may.
    binary = ruff_binary() if verify and blobs else None
    if binary is not None:
        paths = {blob: on_disk[blob] for blob in blobs if on_disk and blob in on_disk}
        if len(paths) < len(blobs):
            copied = _temporary_copies({b: contents[b] for b in blobs if b not in paths})
            if copied is not None:
                copies, written = copied
                paths.update(written)
        if len(paths) == len(blobs):
            check = RuffSyntaxCheck(binary, [paths[blob] for blob in blobs])
    try:
        if check is None:
            parsed, workers = _parse_all(datas, max_bytes, verify)
            return dict(zip(blobs, parsed, strict=True)), workers
        # Every core parses although ruff runs too: ruff is done long before a big parse is, and
        # leaving it a core of its own measured no faster on small trees, slower on big ones.
        parsed, workers = _parse_all(datas, max_bytes, False)
        verdicts = check.verdicts() or {}
    finally:
        if copies is not None:
            import shutil

            shutil.rmtree(copies, ignore_errors=True)
    out: dict[str, ParsedFile] = {}
    for blob, data, result in zip(blobs, datas, parsed, strict=True):
        verdict = verdicts.get(paths[blob]) if verdicts else None
        if result.full_parse and result.problem and result.problem[1].startswith("syntax error") \
                and verdict is not None and verdict.judged and verdict.problem is None:
            # CPython's full parse (for a statement the fast path could not read alone) failed
            # on code that is valid for a newer Python: the imports are unknown, say why.
            line, reason = result.problem
            result = result._replace(problem=(line, f"{reason} for Python {_PYTHON} (prepctl's); "
                                                    "valid for a newer Python, whose grammar this file "
                                                    "uses: run prepctl on that Python to read its imports"))
        elif not result.verified:
            if verdict is not None and verdict.judged and verdict.problem is None:
                result = result._replace(verified=True)
            else:
                # Not judged, or broken: CPython decides or says where, so a broken file reads
                # the same with or without ruff (ruff often points a line past CPython).
                problem = _compile_problem(decode_source(data))  # the fast path decoded it already
                if problem is None and verdict is not None and verdict.judged:
                    problem = verdict.problem  # e.g. rules CPython checks only when compiling
                result = ParsedFile((), problem, verified=True) if problem else result._replace(verified=True)
        out[blob] = result
    return out, workers


def _temporary_copies(contents: dict[str, bytes]) -> tuple[str, dict[str, str]] | None:
    """Blobs written to a private temporary folder, one ``BLOB.py`` each, for the syntax check;
    None when they cannot be (then CPython checks them in memory).

    In memory (``/dev/shm``) where there is one: creating thousands of small files on a disk
    can cost more than checking them (0.2-0.6 s per 1,000 on the reference machine's disk).
    A small ``/dev/shm`` (64 MB in a default container) that fills up falls back to the disk.
    """
    shm = "/dev/shm"
    bases = [shm, None] if os.path.isdir(shm) and os.access(shm, os.W_OK) else [None]
    for base in bases:
        written = _write_copies(contents, base)
        if written is not None:
            return written
    return None


def _write_copies(contents: dict[str, bytes], base: str | None) -> tuple[str, dict[str, str]] | None:
    import shutil
    import tempfile

    try:
        folder = tempfile.mkdtemp(prefix="prepctl-syntax-", dir=base)
    except OSError:
        return None
    written: dict[str, str] = {}
    try:
        for blob, data in contents.items():
            path = os.path.join(folder, f"{blob}.py")
            with open(path, "wb") as handle:
                handle.write(data)
            written[blob] = path
    except OSError:  # e.g. no space left
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return folder, written


def _can_fork() -> bool:
    """Forking is cheap (no re-import), but forking a process that runs other threads can copy
    a lock one of them holds; callers with threads get the in-process parse instead. macOS
    offers fork but its system libraries are not fork-safe, so it parses in-process too."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


def _fingerprint(config: ScanConfig, entries: list[FileEntry], blobs: dict[str, str]) -> str:
    digest = hashlib.sha1(config.key().encode())
    for entry in entries:
        digest.update(f"{entry.module}\0{entry.rel}\0{blobs.get(entry.rel, '')}\n".encode())
    return digest.hexdigest()


def _result_to_json(result: ScanResult) -> dict:
    def edges(items: list[ImportEdge]) -> list:
        return [[e.importer, e.imported, e.path, e.line, e.names,
                 (_TYPE_CHECKING if e.type_checking else 0) | (_GUARDED if e.guarded else 0)
                 | (_DYNAMIC if e.dynamic else 0)] for e in items]

    return {"modules": result.modules, "edges": edges(result.edges), "external": edges(result.external),
            "problems": [[p.path, p.line, p.reason, p.kind, p.module] for p in result.problems]}


def _result_from_json(data: dict) -> tuple[dict[str, str], list[ImportEdge], list[ImportEdge], list[ScanProblem]]:
    def edges(items: list) -> list[ImportEdge]:
        return [ImportEdge(a, b, path, line, tuple(names), bool(flags & _TYPE_CHECKING),
                           bool(flags & _GUARDED), bool(flags & _DYNAMIC))
                for a, b, path, line, names, flags in items]

    return (data["modules"], edges(data["edges"]), edges(data["external"]),
            [ScanProblem(*problem) for problem in data["problems"]])


def scan_tree(tree: Tree, config: ScanConfig, cache: ParseCache | None = None) -> ScanResult:
    """Scan every module of ``tree`` (a work tree or a git revision) for imports.

    Never raises for bad files: they are listed in ``problems``. An empty ``modules`` is for the
    caller to refuse (a graph of nothing proves nothing).
    """
    with gc_paused():
        return _scan_tree(tree, config, cache)


class gc_paused:  # noqa: N801 - used like a function, as a context manager
    """Pause the cyclic garbage collector while building many small acyclic objects (edges):
    its repeated full passes over a growing heap cost more than the work itself."""

    def __enter__(self) -> None:
        import gc

        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        import gc

        if self._was_enabled:
            gc.enable()


def _scan_tree(tree: Tree, config: ScanConfig, cache: ParseCache | None) -> ScanResult:
    started = time.perf_counter()
    now_ns = time.time_ns()
    max_bytes = config.max_file_bytes
    snapshot: dict | None = None
    snapshot_key = ""
    stats: dict[str, tuple[int, int, int, int]] = {}
    listing: Listing | None = None
    walked: list[ScanProblem] = []  # files the walk found but did not read: not in the snapshot
    if isinstance(tree, WorkTree):
        snapshot_key = f"{Path(tree.root).resolve()}\0{config.key()}\0{SNAPSHOT_VERSION}"
        snapshot = cache.load_snapshot(snapshot_key) if cache is not None else None
        listing = walk_work_tree(Path(tree.root), walk_starts(tree, config), config.exclude,
                                  (snapshot or {}).get("dirs", {}), now_ns)
        stats = dict(listing.files)
        paths: Iterable[str] = (rel for rel, _ in listing.files)
        walked = walk_problems(listing, config)
    else:
        listed = list(tree.files())
        paths = [rel for rel in listed if rel.endswith(".py")]
        walked = other_sources(listed, config)
    entries, problems = select_modules(paths, config)

    # Blob ids: from the stat index for unchanged work-tree files, from git for revisions,
    # else by reading and hashing the bytes (which are then kept for parsing).
    blobs: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    unreadable: dict[str, str] = {}
    remembered_files: dict[str, list] = (snapshot or {}).get("files", {})
    for entry in entries:
        rel = entry.rel
        if listing is not None:
            key = stats[rel]
            known = remembered_files.get(rel)
            if known is not None and known[0] >= 0 and tuple(known[:4]) == key:
                blobs[rel] = known[4]
                continue
            if key[2] > max_bytes:
                blobs[rel] = f"oversize:{key[2]}:{rel}"
                continue
            try:
                with open(os.path.join(tree.root, rel), "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                unreadable[rel] = f"cannot read: {exc.strerror or exc}"
                continue
            contents[rel] = data
            blobs[rel] = git_blob_id(data)
        else:
            try:
                blobs[rel] = tree.blob_id(rel)
            except (OSError, ValueError) as exc:
                unreadable[rel] = f"cannot read: {exc}"

    fingerprint = _fingerprint(config, entries, blobs)
    if snapshot is not None and snapshot.get("fingerprint") == fingerprint and not unreadable:
        modules, edges, external, old_problems = _result_from_json(snapshot["result"])
        result = ScanResult(modules, edges, sorted(old_problems + walked, key=_problem_order), external,
                            label=tree.label, revision=tree.revision)
        result.stats = ScanStats(files=len(entries), from_cache=len(entries), snapshot_hit=True,
                                 seconds=time.perf_counter() - started)
        if listing is not None and cache is not None and _listing_changed(snapshot, listing):
            _save_work_snapshot(cache, snapshot_key, listing, blobs, fingerprint, snapshot["result"])
        return result

    # Parse what the cache does not know, each distinct blob once.
    wanted = {blob for blob in blobs.values() if not blob.startswith("oversize:")}
    known_parsed = cache.get_many(wanted) if cache is not None else {}
    if config.verify_syntax:
        # Entries from a scan that did not compile the file are parsed again, verified.
        known_parsed = {blob: parsed for blob, parsed in known_parsed.items() if parsed.verified}
    if cache is not None:
        cache.close()  # SQLite connections must not cross fork(); put_many opens a new one
    to_parse: dict[str, bytes] = {}
    on_disk: dict[str, str] = {}
    for rel, blob in blobs.items():
        if blob in known_parsed or blob in to_parse or blob.startswith("oversize:"):
            continue
        data = contents.get(rel)
        if data is None:
            try:
                data = tree.read_bytes(rel)
            except OSError as exc:
                unreadable[rel] = f"cannot read: {exc}"
                continue
        to_parse[blob] = data
        if listing is not None:
            on_disk[blob] = os.path.join(tree.root, rel)
    fresh, workers = parse_blobs(to_parse, max_bytes, config.verify_syntax, on_disk)
    if cache is not None:
        cache.put_many(fresh)

    by_path: dict[str, ParsedFile] = {}
    for rel, blob in blobs.items():
        if rel in unreadable:
            continue
        if blob.startswith("oversize:"):
            size = int(blob.split(":")[1])
            by_path[rel] = ParsedFile((), (None, f"file too large ({size:,} bytes > {max_bytes:,}); skipped"))
        else:
            by_path[rel] = known_parsed.get(blob) or fresh[blob]
    for rel, reason in unreadable.items():
        by_path[rel] = ParsedFile((), (None, reason))
    edges, external, resolve_problems = resolve(entries, by_path)
    problems.extend(resolve_problems)
    problems.extend(_roots_that_are_packages(tree, config, external))
    problems.extend(_unlistedsource_roots(entries, external))
    problems.sort(key=_problem_order)
    modules = {e.module: e.rel for e in entries}
    result = ScanResult(modules, edges, problems, external, label=tree.label, revision=tree.revision)
    fast = sum(1 for p in fresh.values() if not p.full_parse and p.problem is None)
    result.stats = ScanStats(files=len(entries), parsed_fast=fast, parsed_full=len(fresh) - fast,
                             from_cache=len(entries) - len(fresh), workers=workers,
                             seconds=time.perf_counter() - started)
    if listing is not None and cache is not None and not unreadable:
        _save_work_snapshot(cache, snapshot_key, listing, blobs, fingerprint, _result_to_json(result))
    result.problems = sorted(problems + walked, key=_problem_order)
    return result


def _problem_order(problem: ScanProblem) -> tuple[str, int]:
    return problem.path, problem.line or 0


def _roots_that_are_packages(tree: Tree, config: ScanConfig, external: list[ImportEdge]) -> list[ScanProblem]:
    """A source root that is itself a package (``--root monolith/prep``) names its modules
    ``models.orm`` while the code imports ``prep.models.orm``: every such import would count as
    external and queries would answer "nothing imports it". Say so, with what to do."""
    found: list[ScanProblem] = []
    for root in source_roots(config):
        init = f"{root}/__init__.py" if root else "__init__.py"
        name = root.rpartition("/")[2] if root else tree.folder_name()
        if not name or not name.isidentifier() or not tree.is_file(init):
            continue
        count = sum(1 for edge in external if edge.imported == name)
        if count:
            found.append(ScanProblem(init, None, f"the source root is itself the package {name!r} (it has "
                                     f"__init__.py), so {count} import(s) of {name}.* count as external; "
                                     f"scan from the folder that contains {name}/ (--root, or graph: include:)",
                                     LAYOUT))
    return found


def _unlistedsource_roots(entries: list[FileEntry], external: list[ImportEdge]) -> list[ScanProblem]:
    """A monorepo service with its own source root (``services/billing/src/billing/``) that
    graph: include does not list: the code imports ``billing.core``, the scan names the file
    ``services.billing.src.billing.core``, and every such import counts as external. A package
    whose folder's parent is not a package, named like an external import, is that case."""
    imported = Counter(edge.imported for edge in external)
    scanned = {entry.rel for entry in entries}
    found: dict[str, ScanProblem] = {}
    for entry in entries:
        name = entry.module.rpartition(".")[2]
        if not entry.is_package or "." not in entry.module or name not in imported:
            continue
        folder = entry.rel.rpartition("/")[0]
        candidate = folder.rpartition("/")[0]
        if f"{candidate}/__init__.py" in scanned or candidate in found:
            continue
        found[candidate] = ScanProblem(entry.rel, None, f"{imported[name]} import(s) of {name}.* count as "
                                       f"external, but {folder}/ is a package here, named {entry.module}: "
                                       f"if {candidate}/ is a source root, add it to graph: include", LAYOUT)
    return list(found.values())


def _listing_changed(snapshot: dict, listing: Listing) -> bool:
    files = snapshot.get("files", {})
    return snapshot.get("dirs") != listing.dirs or any(
        (files.get(rel) or [None])[:4] != list(key) for rel, key in listing.files)


def _save_work_snapshot(cache: ParseCache, key: str, listing: Listing, blobs: dict[str, str],
                        fingerprint: str, result: dict) -> None:
    now_ns = time.time_ns()
    files = {}
    for rel, stat_key in listing.files:
        blob = blobs.get(rel)
        if blob is None or blob.startswith("oversize:"):
            continue
        mtime = stat_key[0] if stat_key[0] < now_ns - RACY_NS else -1
        files[rel] = [mtime, stat_key[1], stat_key[2], stat_key[3], blob]
    cache.save_snapshot(key, {"dirs": listing.dirs, "files": files, "fingerprint": fingerprint,
                              "result": result})
