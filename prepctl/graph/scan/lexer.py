"""The fast import lexer: import statements found with regular expressions, never by parsing
the whole file.

It finds the ``import`` keywords, lexes strings and comments to drop keywords that are not code,
and reads each ordinary import statement with one regex match (unusual ones, e.g. continued with
``\\``, get a careful per-statement parse). Their context (TYPE_CHECKING, try/except) comes from
the enclosing block headers (``blocks``); literal dynamic imports from parsing just the
module-level statement that holds them. Whenever it cannot be sure (``;``, one-line compound
statements, odd headers, stray quotes, tabs in the indentation) it gives up and the whole file
is parsed with ``ast`` instead. Both paths give identical results; tests compare them on the
standard library.

The hot path (string/comment spans, the loop over ``import`` keywords with the ordinary
statements at column 0, the dynamic-call words) also exists in C (``native_lexer.c``, an optional
extension built at install): same answers, checked on every file of the standard library and
site-packages. ``NATIVE`` says whether it is in use; ``PREPCTL_PURE_PYTHON=1`` turns it off.
"""

from __future__ import annotations

import ast
import bisect
import os
import re
from types import ModuleType

from prepctl.graph.scan.ast_imports import walk_imports
from prepctl.graph.scan.blocks import context_flags
from prepctl.graph.scan.model import DYNAMIC_FLAG, FROM_FLAG, RawImport
from prepctl.graph.scan.source import Source, Unsure


def _load_native() -> ModuleType | None:
    """The C accelerator (``native_lexer.c``, built at install when a compiler is present), or
    None: not built, or ``PREPCTL_PURE_PYTHON`` is set to anything but ``0``."""
    if os.environ.get("PREPCTL_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from prepctl.graph.scan import native_lexer
    except ImportError:
        return None
    return native_lexer


_NATIVE_MODULE = _load_native()
#: Whether ``lex_imports`` runs its hot path in C (same results as the pure-Python path).
NATIVE: bool = _NATIVE_MODULE is not None

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


def lex_imports(text: str, native: bool | None = None) -> list[RawImport] | None:
    """The import statements of decoded source ``text``, in source order, or None when the fast
    path cannot be sure of them (the caller then parses the whole file with ``ast``).

    A pure function (text in; each import's line, level, module, names and flags out). When it
    answers, it answers exactly what ``ast_imports.parse_imports_full`` would. ``native`` picks
    the C hot path (default: ``NATIVE``) or pure Python; both give identical results.
    """
    use_native = NATIVE if native is None else native and NATIVE
    try:
        return _lex(text, use_native)
    except Unsure:
        return None


class NativeSource(Source):
    """A ``Source`` whose string and comment spans come from C: the same spans, lexed as lazily
    (the same ``upto`` steps), so every later decision is the same."""

    def lex(self, upto: int) -> None:
        if upto <= self.lexed_to:
            return
        assert _NATIVE_MODULE is not None
        lexed_to = _NATIVE_MODULE.lex_spans(self.text, max(upto, self.lexed_to + 4096),
                                            self.span_starts, self.span_ends)
        if lexed_to < 0:
            raise Unsure  # an unterminated string
        self.lexed_to = lexed_to


def _lex(text: str, native: bool) -> list[RawImport]:
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise Unsure
    if "import" not in text:
        return []
    src = NativeSource(text) if native else Source(text)
    found: list[RawImport] = []
    last = text.rfind("import")
    last_line_end = text.find("\n", last)
    src.lex(len(text) if last_line_end < 0 else last_line_end)
    if native:
        _scan_native(src, found)
    else:
        _scan_python(src, found)
    if "__import__" in text or "import_module" in text or "run_module" in text or "exec" in text:
        dynamic_lines: list[int] = []
        calls = (_NATIVE_MODULE.dynamic_calls(text) if native and _NATIVE_MODULE is not None
                 else [match.span() for match in _DYNAMIC_CALL.finditer(text)])
        for start, end in calls:
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue  # my_import_module(...), not the function we mean
            src.lex(end + 1)
            span = src.span_at(start)
            if span >= 0:
                if _is_f_string(text, src.span_starts[span]):
                    # f"{__import__('x')}" runs: the expression inside is code, not text.
                    raise Unsure
                continue
            # A literal argument names a module; a computed one is reported (its target unknown).
            dynamic_lines.append(start)
        if dynamic_lines:
            found.extend(_dynamic_imports(src, dynamic_lines))
            found.sort(key=lambda r: r.line)
    return found


def _scan_python(src: Source, found: list[RawImport]) -> None:
    """Every import statement, in order: each ``import`` keyword that is code."""
    text = src.text
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
        covered_to = _import_at(src, pos, line_no, found)


def _scan_native(src: Source, found: list[RawImport]) -> None:
    """``_scan_python`` with its loop in C: C skips the keywords that are not code and reads the
    ordinary statements at column 0; it hands every other keyword back to ``_import_at``."""
    assert _NATIVE_MODULE is not None
    scan = _NATIVE_MODULE.scan_imports
    search_from, line_no, counted_to = 0, 1, 0
    while True:
        pos, line_no, counted_to = scan(src.text, src.span_starts, src.span_ends, search_from,
                                        line_no, counted_to, found, RawImport, FROM_FLAG)
        if pos < 0:
            return
        search_from = max(_import_at(src, pos, line_no, found), pos + 6)


def _import_at(src: Source, pos: int, line_no: int, found: list[RawImport]) -> int:
    """Read the statement whose ``import`` keyword (code) is at ``pos`` into ``found``; the
    offset where it ends (later keywords before it belong to it)."""
    text = src.text
    line_start = text.rfind("\n", 0, pos) + 1
    statement = _SIMPLE_STATEMENT.match(text, line_start)
    if statement is None or statement.end() <= pos:
        # Continued lines, comments inside parentheses, `x = 1; import y`: the careful way.
        covered_to, imports = _statement_at(src, pos, line_no)
        found.extend(imports)
        return covered_to
    # The common case: the whole statement in one regex match, at C speed.
    indent = statement.group("indent")
    if not src.logical_start(line_start) or "\t" in indent or "\f" in indent:
        raise Unsure
    flags = context_flags(src, line_start, len(indent)) if indent else 0
    modules = statement.group("modules")
    if modules is not None:
        found.extend(RawImport(line_no, 0, item.split(None, 1)[0], (), flags)
                     for item in _COMMA.split(modules))
        return statement.end()
    names = statement.group("names")
    if names is not None:
        taken = tuple(item.split(None, 1)[0] for item in _COMMA.split(names))
    elif statement.group("star"):
        taken = ("*",)
    else:
        taken = _parse_names(statement.group("pnames"), in_parens=True)
    found.append(RawImport(line_no, len(statement.group("dots")), statement.group("module") or "",
                           taken, flags | FROM_FLAG))
    return statement.end()


def _is_f_string(text: str, quote: int) -> bool:
    """Whether the string opening at ``quote`` has an f prefix (``f``, ``rf``, ``Fr``...)."""
    prefix = text[max(0, quote - 2):quote]
    while prefix and prefix[0].lower() not in "rbfu":
        prefix = prefix[1:]
    before = text[quote - len(prefix) - 1] if quote - len(prefix) > 0 else ""
    return "f" in prefix.lower() and not (before.isalnum() or before == "_")


_CLAUSE = re.compile(r"(?:else|elif|except|finally|case)\b|[)\]}@]")


def _top_level_start(src: Source, pos: int) -> int:
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
            raise Unsure
        start = src.line_start_of(src.text, start - 1)


def _top_level_end(src: Source, pos: int) -> int:
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


def _dynamic_imports(src: Source, positions: list[int]) -> list[RawImport]:
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
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            # Also a lone surrogate (a `raw_unicode_escape` file) or absurd nesting: the whole-file
            # parse reports what is wrong instead of a traceback.
            raise Unsure from None
        offset = src.text.count("\n", 0, start)
        for raw in walk_imports(fragment):
            if raw.flags & DYNAMIC_FLAG:
                found.append(raw._replace(line=raw.line + offset))
    return found


def _statement_at(src: Source, pos: int, line_no: int) -> tuple[int, list[RawImport]]:
    """Parse the import statement whose ``import`` keyword is at ``pos``."""
    text = src.text
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    if not src.logical_start(line_start):
        raise Unsure
    if not prefix.strip():
        indent = prefix
        is_from = False
        level, module = 0, ""
    else:
        match = _FROM_PREFIX.fullmatch(prefix)
        if match is None:
            raise Unsure  # `x = 1; import y`, `try: import y`, ...
        indent = match.group(1)
        level = len(match.group(2))
        module = re.sub(r"[ \t]", "", match.group(3) or "")
        if not level and not module:
            raise Unsure
        is_from = True
    if "\t" in indent or "\f" in indent:
        raise Unsure
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
            raise Unsure
        code_end = src.span_starts[comment]
    rest = text[body_start:code_end]
    continued = False
    while code_end == line_end and rest.endswith("\\"):
        # `from x import a, \` goes on on the next line.
        if line_end >= len(text):
            raise Unsure
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
        raise Unsure
    if is_from and rest.lstrip().startswith("("):
        open_at = body_start + rest.index("(")
        close_at = text.find(")", open_at)
        while close_at >= 0:
            src.lex(close_at + 1)
            span = src.span_at(close_at)
            if span < 0:
                break
            if text[src.span_starts[span]] != "#":
                raise Unsure
            close_at = text.find(")", src.span_ends[span])
        if close_at < 0:
            raise Unsure
        inner = _strip_comments(src, open_at + 1, close_at)
        tail_end = text.find("\n", close_at)
        tail_end = len(text) if tail_end < 0 else tail_end
        src.lex(tail_end)
        tail = _strip_comments(src, close_at + 1, tail_end)
        if tail.strip():
            raise Unsure
        names = _parse_names(inner, in_parens=True)
        statement_end = tail_end
    else:
        if rest.rstrip().endswith("\\") or ";" in rest:
            raise Unsure
        statement_end = line_end
        if is_from:
            names = _parse_names(rest, in_parens=False)
        else:
            modules = _parse_import_list(rest)
    flags = context_flags(src, line_start, len(indent)) if indent else 0
    if is_from:
        return statement_end, [RawImport(line_no, level, module, names, flags | FROM_FLAG)]
    return statement_end, [RawImport(line_no, 0, name, (), flags) for name in modules]


def _strip_comments(src: Source, start: int, end: int) -> str:
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
        raise Unsure
    modules = []
    for item in rest.split(","):
        match = _IMPORT_ITEM.fullmatch(item)
        if match is None:
            raise Unsure
        modules.append(re.sub(r"[ \t]", "", match.group(1)))
    return modules


def _parse_names(rest: str, in_parens: bool) -> tuple[str, ...]:
    stripped = rest.strip()
    if not in_parens and not rest[:1].isspace():
        raise Unsure
    if stripped == "*" and not in_parens:
        return ("*",)
    items = stripped.split(",")
    if in_parens and items and not items[-1].strip():
        items.pop()  # a trailing comma is allowed inside parentheses
    names = []
    for item in items:
        match = _NAME_ITEM.fullmatch(item)
        if match is None:
            raise Unsure
        names.append(match.group(1))
    if not names:
        raise Unsure
    return tuple(names)
