"""Generated regions inside hand-written files.

A region is the text between two marker lines::

    <!-- prepctl:begin analytics -->
    ...generated...
    <!-- prepctl:end analytics -->

prepctl rewrites only region bodies. Every byte outside them (and the marker lines themselves)
is kept, so hand edits survive any number of renders. A file whose markers are unbalanced,
nested or duplicated is refused with ``file:line`` and left untouched: guessing which text is
generated would risk deleting someone's notes.

Markers are found on the Markdown token stream (markdown-it-py, CommonMark), not by scanning
lines, so that what a reader sees as code or as a comment is never taken for a marker:

- a marker is a line of its own that CommonMark reads as a one-line HTML block (at most three
  spaces before it; the line ``<!-- prepctl:begin NAME -->`` or ``<!-- prepctl:end NAME -->``);
- the marker syntax inside code (fenced, indented, inline; also inside a block quote or a list)
  or inside a multi-line HTML comment (or ``<pre>``, ``<script>``...) is text. A pair of
  markers inside such a comment, even one whose ``-->`` closed the comment early (HTML
  comments do not nest), is text too. Marker lines inside another HTML block (``<details>``,
  ``<div>``) are markers, as they always were;
- YAML front matter (``---`` on the first line, up to the next ``---`` or ``...``) is metadata:
  the marker syntax there is text;
- the marker syntax anywhere else (mid-paragraph, with text around it) is refused as malformed.

Lines are split on ``\\n``, ``\\r\\n`` and ``\\r`` only, the line breaks Markdown knows: a form
feed or U+2028 inside a line does not start a new one. The splice works on the original text,
so CRLF, a byte-order mark and trailing whitespace survive byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError, Problem

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

MARKER = re.compile(r"^[ \t]*<!--[ \t]*prepctl:(begin|end)[ \t]+([A-Za-z0-9_.-]+)[ \t]*-->[ \t]*$")
# Anything that looks like an attempt at a marker but is not a whole, well-formed line.
MARKER_LIKE = re.compile(r"<!--[ \t]*prepctl:(?:begin|end)\b")
# The line breaks of CommonMark: LF, CRLF and a lone CR. Nothing else (not U+2028, not \f).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_BOM = "\ufeff"
# HTML blocks whose lines after the first are not HTML structure: comments, processing
# instructions, declarations, CDATA, and the raw-text elements (CommonMark HTML block types 1-5).
_OPAQUE_HTML = re.compile(r"[ ]{0,3}(?:<!|<\?|<(?:pre|script|style|textarea)(?:[\s>]|$))", re.IGNORECASE)
# Block-quote markers before a line's content ("> ", "> > ").
_QUOTE_PREFIX = re.compile(r"^[ ]{0,3}(?:>[ ]?[ ]{0,3})+")
_FRONT_OPEN = re.compile(r"---[ \t]*(?:\r\n|\r|\n)")
_FRONT_KEY = re.compile(r"""[A-Za-z_"'][^:\r\n]*:(?:[ \t\r]|$)""", re.MULTILINE)
_FRONT_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n)?")
_MARKER_HINT = ("a marker must be a line of its own: <!-- prepctl:begin NAME --> or "
                "<!-- prepctl:end NAME -->; to show the syntax, put it in `code`")


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


@dataclass(frozen=True)
class Marker:
    """A real marker line: 0-based ``index`` into the file's lines."""

    index: int
    kind: str  # "begin" or "end"
    name: str


@dataclass(frozen=True)
class Quoted:
    """A marker that sits inside an HTML comment opened on an earlier line: text, not a marker."""

    index: int
    kind: str
    name: str


def split_lines(text: str) -> list[str]:
    """``text``'s lines with their endings, split where Markdown splits (LF, CRLF, CR only)."""
    return _LINE.findall(text)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # CommonMark with raw HTML on (markers are HTML comments) and GFM tables, as GitHub reads it.
    # Block structure only: inline parsing is most of the cost on a long file, and only the few
    # paragraphs that hold the marker syntax need it (see _inline_line).
    return MarkdownIt("commonmark", {"html": True}).enable("table").disable(["inline", "text_join"])


@lru_cache(maxsize=1)
def _inline_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True})


def _malformed(file: str, index: int, line: str = "") -> RegionError:
    if MARKER.match(_QUOTE_PREFIX.sub("", line, count=1)):
        # A whole marker line behind "> ": the author meant a region, not a typo; say why not.
        return RegionError(Problem(
            file=file, line=index + 1, message="prepctl marker inside a block quote",
            hint="generated text cannot go inside a block quote: move both marker lines out of it "
            "(to the left margin); to show the syntax, put it in `code`"))
    return RegionError(Problem(file=file, line=index + 1, message="malformed prepctl marker",
                               hint=_MARKER_HINT))


def _continued(file: str, index: int) -> RegionError:
    """A whole marker line that Markdown reads as part of the paragraph above it."""
    return RegionError(Problem(
        file=file, line=index + 1, message="prepctl marker continues the paragraph above it "
        "(a line indented four or more spaces after text joins that text, as in an admonition)",
        hint="put a blank line before the marker and start it at the left margin"))


def _inline_line(token: Token) -> Iterator[tuple[int, Token]]:
    """Each child of an inline token with the 0-based line it sits on."""
    assert token.map is not None
    line = token.map[0]
    (parsed,) = _inline_parser().parseInline(token.content)
    for child in parsed.children or ():
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        yield line, child


def front_matter_lines(lines: list[str]) -> int:
    """How many of ``lines`` are YAML front matter (``---`` on the first line, up to the next
    ``---`` or ``...`` line, as Jekyll, Hugo, MkDocs and GitHub read it); 0 when there is none.

    Its first line must be a YAML key (``title: ...``): a document that opens with a thematic
    break and a heading is Markdown, and its regions stay regions.
    """
    if len(lines) < 2 or not _FRONT_OPEN.fullmatch(lines[0].removeprefix(_BOM)):
        return 0
    if not _FRONT_KEY.match(lines[1]) and not _FRONT_CLOSE.fullmatch(lines[1]):
        return 0
    for index in range(1, len(lines)):
        if _FRONT_CLOSE.fullmatch(lines[index]):
            return index + 1
    return 0


@dataclass
class Scan:
    markers: list[Marker]
    quoted: list[Quoted]
    #: 0-based line of an HTML comment that nested comments leave open at the end of the text.
    open_comment: int | None = None


def scan(text: str, file: str = "<text>") -> tuple[list[Marker], list[Quoted]]:
    """The real marker lines of ``text``, and markers quoted inside multi-line HTML comments.

    Raises RegionError for the marker syntax where it is neither a marker nor text (code or a
    comment), so a typo never silently turns generated text into hand-written text.
    """
    found = scan_text(text, file)
    return found.markers, found.quoted


def scan_text(text: str, file: str = "<text>") -> Scan:
    """:func:`scan`, also saying where a comment left open by nesting starts."""
    markers: list[Marker] = []
    quoted: list[Quoted] = []
    if "prepctl:" not in text:
        return Scan(markers, quoted)  # no marker, not even a malformed one: skip the Markdown parse
    lines = split_lines(text)
    # YAML front matter is metadata, not Markdown: marker syntax there is text (a region in it
    # would write Markdown into the YAML). Its lines go to the parser blank, so maps stay aligned.
    front = front_matter_lines(lines)
    source = "".join(line[len(line.rstrip("\r\n")):] for line in lines[:front]) + "".join(lines[front:])
    if not front and source.startswith(_BOM):
        source = source[1:]
    # HTML comments do not nest, but people nest them: "<!-- old:\n<!-- note -->" leaves, as the
    # author sees it, a comment open that only a later "-->" closes. Until then marker lines are
    # text (commented out), never a region whose body a render would overwrite.
    depth = 0
    opened = 0  # the line where the comment that ``depth`` counts began
    done = 0  # lines before this one were already read for that nesting
    for token in _parser().parse(source):
        if token.map is None:
            continue
        first, stop = token.map
        if depth > 0:
            for index in range(max(first, done), stop):
                line = lines[index].lstrip(_BOM).rstrip("\r\n")
                inner = MARKER.match(line)
                if inner:
                    quoted.append(Quoted(index, inner[1], inner[2]))
                depth = max(0, depth + line.count("<!--") - line.count("-->"))
                done = index + 1
                if depth == 0:
                    break
            continue
        if stop <= done:
            continue  # a token inside lines already read as commented out
        if token.type == "html_block":
            bare = lines[first].lstrip(_BOM).rstrip("\r\n")
            match = MARKER.match(bare)
            if stop - first == 1 and match:
                markers.append(Marker(first, match[1], match[2]))
                continue
            opaque = _OPAQUE_HTML.match(bare) is not None
            for index in range(first, stop):
                line = lines[index].lstrip(_BOM).rstrip("\r\n")
                inner = MARKER.match(line)
                if opaque and index > first:
                    # Inside a comment (or <pre>, <script>...): text, whatever it says.
                    if inner:
                        quoted.append(Quoted(index, inner[1], inner[2]))
                elif inner:
                    # A marker line inside a <details> or <div> block counts, as it always has.
                    markers.append(Marker(index, inner[1], inner[2]))
                elif MARKER_LIKE.search(line):
                    raise _malformed(file, index, line)
            if bare.lstrip(" ").startswith("<!--"):
                block = "".join(lines[first:stop])
                depth = max(0, block.count("<!--") - block.count("-->"))
                opened = first
                done = stop
        elif token.type == "inline" and MARKER_LIKE.search(token.content):
            for line, child in _inline_line(token):
                if child.type == "html_inline" and MARKER_LIKE.search(child.content):
                    if MARKER.match(lines[line].lstrip(_BOM).rstrip("\r\n")):
                        raise _continued(file, line)
                    raise _malformed(file, line)
        # fence and code_block tokens are code: their lines are text, whatever they hold.
    return Scan(markers, quoted, opened if depth > 0 else None)


def open_block_at_end(text: str) -> int | None:
    """The 1-based line of the code fence or HTML block still open at the end of ``text``, if any.

    Text appended after such a file would be read as its code or comment: a probe line added
    after a blank line lands in a leaf block that started earlier exactly when one is open.
    """
    source = text[1:] if text.startswith(_BOM) else text
    if source and not source.endswith(("\n", "\r")):
        source += "\n"
    probe = len(split_lines(source)) + 1  # 0-based line of the probe, after one blank line
    for token in _parser().parse(source + "\n<!-- probe -->\n"):
        if token.map and token.type in ("fence", "code_block", "html_block"):
            first, stop = token.map
            if first < probe < stop:
                return first + 1
    # Nested comments ("<!-- old:\n<!-- note -->") leave one open as the author sees it.
    opened = scan_text(source + "\n<!-- prepctl:begin probe -->\n").open_comment
    return None if opened is None else opened + 1


def parse(text: str, file: str = "<text>") -> Parsed:
    """Split ``text`` into literal parts and regions, or raise RegionError naming the bad line."""
    lines = split_lines(text)
    markers, quoted = scan(text, file)
    # An end marker that pairs with a begin quoted inside a comment ends that commented-out region.
    commented = {q.name for q in quoted if q.kind == "begin"}
    parts: list[str | Region] = []
    open_marker: Marker | None = None
    seen: dict[str, int] = {}
    cursor = 0  # first line not yet placed in a part
    for marker in markers:
        number = marker.index + 1
        name = marker.name
        if marker.kind == "begin":
            if open_marker is not None:
                raise RegionError(Problem(
                    file=file, line=number,
                    message=f"region '{name}' begins inside region '{open_marker.name}' "
                    f"(opened at line {open_marker.index + 1})",
                    hint=f"add <!-- prepctl:end {open_marker.name} --> before this line"))
            if name in seen:
                raise RegionError(Problem(
                    file=file, line=number,
                    message=f"duplicate region '{name}' (first at line {seen[name]})",
                    hint="each region name may appear once; delete one of the two"))
            seen[name] = number
            if marker.index > cursor:
                parts.append("".join(lines[cursor:marker.index]))
            open_marker = marker
            continue
        if open_marker is None:
            if name in commented:
                commented.discard(name)
                continue  # the end of a region commented out above: text
            raise RegionError(Problem(
                file=file, line=number, message=f"end of region '{name}' without a begin",
                hint=f"add <!-- prepctl:begin {name} --> above it, or delete this line"))
        if name != open_marker.name:
            raise RegionError(Problem(
                file=file, line=number,
                message=f"end of region '{name}' while region '{open_marker.name}' "
                f"(line {open_marker.index + 1}) is open",
                hint=f"the markers must pair up: end '{open_marker.name}' first"))
        parts.append(Region(name, lines[open_marker.index], "".join(lines[open_marker.index + 1:marker.index]),
                            lines[marker.index], open_marker.index + 1))
        cursor = marker.index + 1
        open_marker = None
    if open_marker is not None:
        raise RegionError(Problem(file=file, line=open_marker.index + 1,
                                  message=f"region '{open_marker.name}' is never closed",
                                  hint=f"add <!-- prepctl:end {open_marker.name} --> after its content"))
    if cursor < len(lines):
        parts.append("".join(lines[cursor:]))
    return Parsed(tuple(parts))
def newline_of(text: str) -> str:
    """The file's line ending, so generated text matches the lines around it."""
    crlf = text.count("\r\n")
    counts = {"\n": text.count("\n") - crlf, "\r\n": crlf, "\r": text.count("\r") - crlf}
    # Ties (and a file without any line break) go to LF, the first key.
    return max(counts, key=lambda ending: counts[ending])


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
        for number, line in enumerate(split_lines(body), start=1):
            if MARKER_LIKE.search(line):
                raise RegionError(Problem(
                    file=file, message=f"generated text for region '{name}' contains a prepctl marker "
                    f"(its line {number})", hint="a template must not nest regions"))
    newline = newline_of(text)
    out: list[str | Region] = []
    for part in parsed.parts:
        if isinstance(part, Region) and part.name in bodies:
            _check_margin(part, file)
            out.append(Region(part.name, part.begin, _with_newlines(bodies[part.name], newline),
                              part.end, part.line))
        else:
            out.append(part)
    existing = parsed.regions
    missing = [name for name in bodies if name not in existing]
    opened = open_block_at_end(text) if missing else None
    if opened is not None:
        # Name the line the user has to fix, in their file (the round-trip check below can only
        # say that something swallowed the markers).
        raise RegionError(Problem(
            file=file, line=opened,
            message=f"the updated file would not read back: region '{missing[0]}' would be appended "
            "inside the code fence or HTML block that starts here and is never closed",
            hint="close it (``` or ~~~ for a fence, --> for a comment) before the end of the file"))
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
    _check_round_trip(result, bodies, newline, file)
    return result


def _check_margin(region: Region, file: str) -> None:
    """Refuse a region whose end marker sits four columns in (inside a list item, say).

    Generated text starts at the left margin, which ends the list item; the end marker left
    four spaces in would then be an indented code block, and the region would never close.
    """
    end = region.end.rstrip("\r\n")
    indent = len(end[:len(end) - len(end.lstrip(" \t"))].expandtabs(4))
    if indent >= 4:
        raise RegionError(Problem(
            file=file, line=region.line,
            message=f"region '{region.name}' is indented {indent} columns (inside a list item or "
            "another container): generated text at the left margin would turn its end marker into code",
            hint="move both marker lines to the left margin, outside the list"))


def _check_round_trip(result: str, bodies: dict[str, str], newline: str, file: str) -> None:
    """Refuse a result whose regions do not read back as written.

    A file that ends inside an unclosed fence or HTML comment would swallow appended markers
    (every later render would append them again), and a generated body that opens a fence
    would swallow its own end marker: either way the file's structure would change under the
    user's feet, so nothing is written.
    """
    try:
        found = parse(result, file).regions
    except RegionError as exc:
        problem = exc.problems[0]
        raise RegionError(Problem(
            file=file, message="the updated file would not read back: " + problem.message,
            hint="close any code fence or HTML comment left open before the generated regions "
            "(or in the template)")) from None
    for name, body in bodies.items():
        if name not in found or found[name].body != _with_newlines(body, newline):
            raise RegionError(Problem(
                file=file, message=f"region '{name}' would not read back as written: an unclosed "
                "code fence or HTML comment before it (or in its generated text) hides its markers",
                hint="close the fence (```) or comment (-->) that is left open"))


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
