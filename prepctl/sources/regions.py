"""Generated regions inside hand-written files.

A region is the text between two marker lines::

    <!-- prepctl:begin analytics -->
    ...generated...
    <!-- prepctl:end analytics -->

prepctl rewrites only region bodies. Every byte outside them (and the marker lines themselves)
is kept, so hand edits survive any number of renders. A file whose markers are unbalanced,
nested or duplicated is refused with ``file:line`` and left untouched: guessing which text is
generated would risk deleting someone's notes.

Markers count only as whole lines outside fenced code blocks, so a document may show the
syntax in a code example without creating a region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prepctl.errors import PrepctlError, Problem

MARKER = re.compile(r"^[ \t]*<!--[ \t]*prepctl:(begin|end)[ \t]+([A-Za-z0-9_.-]+)[ \t]*-->[ \t]*$")
# Anything that looks like an attempt at a marker but is not a whole, well-formed line.
_MARKER_LIKE = re.compile(r"<!--[ \t]*prepctl:(?:begin|end)\b")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


class RegionError(PrepctlError):
    """The file's markers cannot be paired up; nothing was written."""


@dataclass(frozen=True)
class Region:
    name: str
    begin: str  # the begin marker line, with its line ending
    body: str
    end: str  # the end marker line, with its line ending (may lack one at end of file)
    line: int  # 1-based line of the begin marker


@dataclass(frozen=True)
class Parsed:
    """A file split into literal text and regions, in order; joining them gives the file back."""

    parts: tuple[str | Region, ...]

    @property
    def regions(self) -> dict[str, Region]:
        return {p.name: p for p in self.parts if isinstance(p, Region)}

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.begin + p.body + p.end for p in self.parts)


def parse(text: str, file: str = "<text>") -> Parsed:
    """Split ``text`` into literal parts and regions, or raise RegionError naming the bad line."""
    parts: list[str | Region] = []
    literal: list[str] = []
    open_name: str | None = None
    open_line = 0
    begin_text = ""
    body: list[str] = []
    seen: dict[str, int] = {}
    fence: str | None = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        bare = line.rstrip("\r\n")
        fence_match = _FENCE.match(bare)
        if fence_match:
            mark = fence_match[1]
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not bare.strip()[len(mark):]:
                fence = None
        marker = MARKER.match(bare) if fence is None else None
        if marker is None:
            if fence is None and _MARKER_LIKE.search(bare):
                raise RegionError(Problem(file=file, line=number,
                                          message="malformed prepctl marker",
                                          hint="a marker must be a line of its own: "
                                          "<!-- prepctl:begin NAME --> or <!-- prepctl:end NAME -->"))
            (body if open_name is not None else literal).append(line)
            continue
        kind, name = marker[1], marker[2]
        if kind == "begin":
            if open_name is not None:
                raise RegionError(Problem(
                    file=file, line=number,
                    message=f"region '{name}' begins inside region '{open_name}' (opened at line {open_line})",
                    hint=f"add <!-- prepctl:end {open_name} --> before this line"))
            if name in seen:
                raise RegionError(Problem(
                    file=file, line=number,
                    message=f"duplicate region '{name}' (first at line {seen[name]})",
                    hint="each region name may appear once; delete one of the two"))
            seen[name] = number
            if literal:
                parts.append("".join(literal))
                literal = []
            open_name, open_line, begin_text, body = name, number, line, []
        else:
            if open_name is None:
                raise RegionError(Problem(
                    file=file, line=number, message=f"end of region '{name}' without a begin",
                    hint=f"add <!-- prepctl:begin {name} --> above it, or delete this line"))
            if name != open_name:
                raise RegionError(Problem(
                    file=file, line=number,
                    message=f"end of region '{name}' while region '{open_name}' (line {open_line}) is open",
                    hint=f"the markers must pair up: end '{open_name}' first"))
            parts.append(Region(open_name, begin_text, "".join(body), line, open_line))
            open_name = None
    if open_name is not None:
        raise RegionError(Problem(file=file, line=open_line,
                                  message=f"region '{open_name}' is never closed",
                                  hint=f"add <!-- prepctl:end {open_name} --> after its content"))
    if literal:
        parts.append("".join(literal))
    return Parsed(tuple(parts))


def newline_of(text: str) -> str:
    """The file's line ending, so generated text matches the lines around it."""
    return "\r\n" if text.count("\r\n") > text.count("\n") // 2 and "\r\n" in text else "\n"


def _with_newlines(body: str, newline: str) -> str:
    body = body.replace("\r\n", "\n")
    if body and not body.endswith("\n"):
        body += "\n"
    return body.replace("\n", newline) if newline != "\n" else body


def update(text: str, bodies: dict[str, str], file: str = "<text>") -> str:
    """Return ``text`` with each named region's body replaced; missing regions are appended.

    Regions of ``text`` not named in ``bodies`` are left exactly as they are.
    """
    parsed = parse(text, file)
    for name, body in bodies.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise RegionError(Problem(file=file, message=f"invalid region name '{name}'"))
        for number, line in enumerate(body.splitlines(), start=1):
            if _MARKER_LIKE.search(line):
                raise RegionError(Problem(
                    file=file, message=f"generated text for region '{name}' contains a prepctl marker "
                    f"(its line {number})", hint="a template must not nest regions"))
    newline = newline_of(text)
    out: list[str | Region] = []
    for part in parsed.parts:
        if isinstance(part, Region) and part.name in bodies:
            out.append(Region(part.name, part.begin, _with_newlines(bodies[part.name], newline),
                              part.end, part.line))
        else:
            out.append(part)
    existing = parsed.regions
    missing = [name for name in bodies if name not in existing]
    result = Parsed(tuple(out)).text()
    if missing:
        # A file ending in an end marker without a newline needs one before anything follows.
        if result and not result.endswith(("\n", "\r")):
            result += newline
        for name in missing:
            if result:
                result += newline
            result += (f"<!-- prepctl:begin {name} -->{newline}"
                       f"{_with_newlines(bodies[name], newline)}"
                       f"<!-- prepctl:end {name} -->{newline}")
    return result


def bodies_of(text: str, file: str = "<rendered>") -> dict[str, str]:
    """The body of every region in ``text``, in order (used on freshly rendered documents)."""
    return {name: region.body for name, region in parse(text, file).regions.items()}


def strip_markers(text: str) -> str:
    """The text without marker lines, for formats (HTML) where they would show as text."""
    parsed = parse(text)
    return "".join(p if isinstance(p, str) else p.body for p in parsed.parts)


def without_bodies(text: str, names: frozenset[str] | set[str], file: str = "<text>") -> str:
    """The text with the bodies of the named regions emptied (marker lines kept)."""
    parsed = parse(text, file)
    return "".join(p if isinstance(p, str) else p.begin + ("" if p.name in names else p.body) + p.end
                   for p in parsed.parts)
