"""The context of an indented import statement, read from the block headers around it: under
``if TYPE_CHECKING:`` or guarded by a ``try`` that catches ImportError. Part of the fast lexer;
raises ``Unsure`` for any header it cannot read with certainty."""

from __future__ import annotations

import re

from prepctl.graph.scan.model import GUARD_ERRORS, GUARDED_FLAG, TYPE_CHECKING_FLAG
from prepctl.graph.scan.source import Source, Unsure

_TC_HEADER = re.compile(r"(?:el)?if[ \t]+(?:[\w.]+\.)?TYPE_CHECKING[ \t]*:")
_EXCEPT_HEADER = re.compile(r"except[ \t]*(?:\(([^()]*)\)|([\w.]+))(?:[ \t]+as[ \t]+\w+)?[ \t]*:")
_HEADER_WORDS = frozenset({"if", "elif", "else", "try", "except", "finally", "for", "while",
                           "with", "def", "class", "async", "match", "case"})


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spaces_only_indent(line: str) -> int:
    """The width of the line's leading white space; Unsure if it holds a tab or form feed, whose
    width Python's tokenizer decides by rules this reader does not follow."""
    lead = line[: len(line) - len(line.lstrip())]
    if "\t" in lead or "\f" in lead:
        raise Unsure
    return len(lead)


def context_flags(src: Source, line_start: int, indent: int) -> int:
    """TYPE_CHECKING / ImportError-guard flags of a statement, from its enclosing headers."""
    flags = 0
    start = line_start
    while indent > 0:
        candidate = _enclosing_header(src, start, indent)
        first, header = _header_text(src, candidate)
        word = re.match(r"[A-Za-z_]+", header)
        keyword = word.group(0) if word else ""
        if keyword not in _HEADER_WORDS:
            raise Unsure
        if keyword in ("if", "elif"):
            if _TC_HEADER.fullmatch(header.strip()):
                flags |= TYPE_CHECKING_FLAG
            elif "TYPE_CHECKING" in header:
                raise Unsure
        elif keyword == "except":
            if _except_catches(header):
                flags |= GUARDED_FLAG
        elif keyword == "try":
            if header.strip() != "try:":
                raise Unsure
            if _try_catches(src, first):
                flags |= GUARDED_FLAG
        elif "TYPE_CHECKING" in header or "ImportError" in header or "ModuleNotFoundError" in header:
            raise Unsure
        indent = _spaces_only_indent(src.line_text(first))
        start = first
    return flags


def _is_code_line(src: Source, start: int) -> str | None:
    """The line's text if it starts code (not blank, not a comment, not inside a string)."""
    line = src.line_text(start)
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if src.span_at(start) >= 0:
        return None  # the line begins inside a multi-line string
    return line


_LESS_INDENTED: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _enclosing_header(src: Source, line_start: int, indent: int) -> int:
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
            _spaces_only_indent(line)
            return start
        window *= 4
        high = low
    raise Unsure


_BRACKET = re.compile(r"[()\[\]{}]")


def _depth_change(src: Source, start: int, end: int) -> int:
    """Net bracket depth change over text[start:end], ignoring strings and comments."""
    depth = 0
    for match in _BRACKET.finditer(src.text, start, end):
        if src.span_at(match.start()) >= 0:
            continue
        depth += 1 if match.group() in "([{" else -1
    return depth


def _header_text(src: Source, start: int) -> tuple[int, str]:
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
                raise Unsure
            last = following
            src.lex(src.line_end(last))
            line_code = src.code_of_line(last)
            depth += _depth_change(src, last, last + len(line_code))
        if depth < 0:
            raise Unsure
    first_code = src.code_of_line(first).lstrip()
    if first_code.startswith("@") or first_code[:1] in ")]}" or not src.logical_start(first):
        raise Unsure
    if not src.code_of_line(last).rstrip().endswith(":"):
        raise Unsure  # a continuation line, not a header
    if last != first:
        header = src.text[first: src.line_end(last)]
        if "TYPE_CHECKING" in header or "ImportError" in header or "ModuleNotFoundError" in header:
            raise Unsure
    return first, first_code.rstrip()


def _bracket_opener_line(src: Source, pos: int) -> int:
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
                    raise Unsure
                return first
        pos -= 1
    raise Unsure


def _except_catches(header: str) -> bool:
    stripped = header.strip()
    if stripped == "except:":
        return False
    match = _EXCEPT_HEADER.fullmatch(stripped)
    if match is None:
        raise Unsure
    names = (match.group(1) or match.group(2) or "").split(",")
    return any(name.strip() in GUARD_ERRORS for name in names)


def _try_catches(src: Source, try_start: int) -> bool:
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
        width = _spaces_only_indent(line)
        if width > indent:
            continue
        stripped = line.lstrip()
        if stripped[:1] in ")]}":
            raise Unsure
        if width < indent:
            break
        if stripped.startswith("except") and not stripped[6:7].isidentifier():
            if stripped[6:7] == "*":
                raise Unsure
            code = src.code_of_line(here).strip()
            if not code.endswith(":"):
                raise Unsure
            catches = catches or _except_catches(code)
            continue
        if re.match(r"(else|finally)\s*:", stripped):
            continue
        break
    return catches
