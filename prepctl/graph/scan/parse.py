"""One file's bytes to its import statements: size and NUL checks, decoding as the interpreter
does, the fast lexer (else a full ``ast`` parse) and, with ``verify``, a whole-file syntax check."""

from __future__ import annotations

import codecs
import re

from prepctl.graph.scan.ast_imports import parse_imports_full
from prepctl.graph.scan.config import DEFAULT_MAX_FILE_BYTES
from prepctl.graph.scan.lexer import lex_imports
from prepctl.graph.scan.model import ParsedFile

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode_source(data: bytes) -> str:
    """Decode Python source like the interpreter does (BOM, PEP 263 cookie, else UTF-8).

    Raises ``DecodeProblem`` with a line number and reason.
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
        raise DecodeProblem(1, f"unknown source encoding {encoding!r}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DecodeProblem(line, f"cannot decode as {encoding}: {exc.reason}") from None


class DecodeProblem(Exception):
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
    except DecodeProblem as exc:
        return ParsedFile((), (exc.line, exc.reason), verified=True)
    lexed = lex_imports(text)
    if lexed is None:
        return parse_imports_full(text)
    found = tuple(lexed)
    if not verify:
        return ParsedFile(found)
    problem = compile_problem(text)
    if problem is not None:
        return ParsedFile((), problem, verified=True)
    return ParsedFile(found, verified=True)


def compile_problem(text: str) -> tuple[int | None, str] | None:
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
