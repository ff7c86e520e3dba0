"""A decoded source file as the fast import lexer reads it: where its strings and comments are
(lexed lazily, a few KB at a time) and its lines, addressed by the offset of their first
character. Anything the lexer cannot be sure of raises ``Unsure``: the caller then parses the
whole file with ``ast``."""

from __future__ import annotations

import bisect
import re


class Unsure(Exception):
    """The fast path cannot be certain; parse the whole file instead."""


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


class Source:
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
                raise Unsure
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
                raise Unsure
        return line

    def logical_start(self, start: int) -> bool:
        """Whether the line at ``start`` can begin a statement (not continued by `\\`)."""
        return start < 2 or self.text[start - 2] != "\\"
