"""Where each key of a TOML document is: ``(key, path) -> (line, column)``, both 1-based.

``tomllib`` parses and validates TOML but keeps no positions, so an error about a value in
``[tool.prepctl]`` could only name the file. This scanner walks the same text once more, after
``tomllib`` has accepted it, and records the position of every key, table header and array
element, in the same path shape the plan loader uses for YAML (``("graph", "contracts", 0,
"id")``). It only locates; it never decides what a value is (``tomllib`` did that), so text it
does not follow exactly costs a less precise position (the nearest enclosing key's), never a
wrong verdict.
"""

from __future__ import annotations

from typing import Any

Positions = dict[tuple[Any, ...], tuple[int, int]]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.positions: Positions = {}
        #: The index of the latest element of each array of tables, by its key path (no indices).
        self.arrays: dict[tuple[str, ...], int] = {}

    # -- low level -------------------------------------------------------------------------
    def where(self, index: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, index) + 1
        return line, index - (self.text.rfind("\n", 0, index) + 1) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.i:self.i + n]

    def skip_blank(self, newlines: bool) -> None:
        """Spaces and tabs, comments, and (``newlines``) line ends."""
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            else:
                return

    def string(self) -> str:
        """A quoted string starting at ``self.i``; escapes are kept as written (keys rarely have any)."""
        for quote in ('"""', "'''"):
            if self.peek(3) == quote:
                end = self.i + 3
                while True:
                    end = self.text.find(quote, end)
                    if end < 0:
                        self.i = len(self.text)
                        return ""
                    if quote == '"""' and _escaped(self.text, end):
                        end += 1
                        continue
                    break
                while self.text[end + 3:end + 4] == quote[0]:  # up to two quotes may close the content
                    end += 1
                value, self.i = self.text[self.i + 3:end], end + 3
                return value
        quote = self.text[self.i]
        end = self.i + 1
        while end < len(self.text) and self.text[end] != quote and self.text[end] != "\n":
            end += 2 if quote == '"' and self.text[end] == "\\" else 1
        value, self.i = self.text[self.i + 1:end], end + 1
        return value

    def key(self) -> list[str]:
        """A dotted key: bare or quoted parts separated by dots."""
        parts: list[str] = []
        while self.i < len(self.text):
            self.skip_blank(newlines=False)
            c = self.peek()
            if c and c in "\"'":
                parts.append(self.string())
            else:
                start = self.i
                while self.i < len(self.text) and self.text[self.i] in _BARE:
                    self.i += 1
                if self.i == start:
                    break
                parts.append(self.text[start:self.i])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                break
            self.i += 1
        return parts

    # -- values ----------------------------------------------------------------------------
    def value(self, path: tuple[Any, ...]) -> None:
        c = self.peek()
        if c == "{":
            self.i += 1
            while self.i < len(self.text):
                self.skip_blank(newlines=True)
                if self.peek() in ("}", ""):
                    self.i += 1
                    return
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.key_value(path)
        elif c == "[":
            self.i += 1
            index = 0
            while self.i < len(self.text):
                self.skip_blank(newlines=True)
                if self.peek() in ("]", ""):
                    self.i += 1
                    return
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.positions[(*path, index)] = self.where(self.i)
                before = self.i
                self.value((*path, index))
                if self.i == before:  # text this scanner does not follow: step over it, never loop
                    self.i += 1
                index += 1
        elif c and c in "\"'":
            self.string()
        else:  # a number, date, boolean: up to the next separator
            while self.i < len(self.text) and self.text[self.i] not in ",]}\n#":
                self.i += 1

    def key_value(self, table: tuple[Any, ...]) -> None:
        start = self.i
        parts = self.key()
        if not parts:  # not a key: skip the line rather than guess
            self.skip_line()
            return
        path = (*table, *parts)
        self.positions.setdefault(path, self.where(start))
        self.skip_blank(newlines=False)
        if self.peek() == "=":
            self.i += 1
            self.skip_blank(newlines=False)
            self.value(path)

    def skip_line(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = len(self.text) if end < 0 else end + 1

    # -- tables ----------------------------------------------------------------------------
    def header(self) -> tuple[Any, ...]:
        start = self.i
        array = self.peek(2) == "[["
        self.i += 2 if array else 1
        keys = tuple(self.key())
        self.skip_line()
        path: list[Any] = []
        for n in range(1, len(keys) + 1):
            path.append(keys[n - 1])
            if n < len(keys) and keys[:n] in self.arrays:
                path.append(self.arrays[keys[:n]])
        if array:
            index = self.arrays.get(keys, -1) + 1
            self.arrays = {k: v for k, v in self.arrays.items() if not (len(k) > len(keys) and k[:len(keys)] == keys)}
            self.arrays[keys] = index
            path.append(index)
        self.positions.setdefault(tuple(path), self.where(start))
        return tuple(path)

    def document(self) -> Positions:
        table: tuple[Any, ...] = ()
        while self.i < len(self.text):
            self.skip_blank(newlines=True)
            if self.i >= len(self.text):
                break
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)
        return self.positions


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def toml_positions(text: str) -> Positions:
    """The position of every key, table and array element of ``text`` (already valid TOML).

    Best effort: should the scanner stumble on text it does not follow, the positions found so
    far are kept (errors then point at the nearest enclosing key, or only name the file)."""
    scanner = _Scanner(text)
    try:
        return scanner.document()
    except (IndexError, RecursionError):
        return scanner.positions


def table_positions(positions: Positions, prefix: tuple[str, ...]) -> Positions:
    """The positions below ``prefix`` (e.g. ``("tool", "prepctl")``), keyed relative to it."""
    return {path[len(prefix):]: pos for path, pos in positions.items() if path[:len(prefix)] == prefix}
