"""Markdown building blocks of the issue-report reader: the parser, an inline token's lines with
their strikethrough, an item's metadata fields, table columns, and the rules for closed items,
grouping headings and text the parser dropped.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from prepctl.sources.issue_reports.items import (
    PRIORITY_KEYS,
    STATUS_KEYS,
    SeverityMap,
    closed_by_status,
    field_line,
    in_doubt,
    marked_closed,
    meta_line,
    wholly_struck,
)

_SEVERITY_COLUMNS = ("severity", "sev", "priority", "prio", "pri", "level", "criticality", "risk")
_STATUS_COLUMNS = ("status", "state", "resolution")
_TITLE_COLUMNS = ("title", "summary", "description", "finding", "issue", "problem", "name", "item", "task",
                  "bug", "defect")
_ID_COLUMNS = ("id", "key", "issue key", "ticket", "incident", "#", "no", "no.", "number", "ref")
COUNT_COLUMNS = ("count", "open", "closed", "total", "remaining", "fixed", "resolved", "#open", "# open")
#: Words of a heading that only groups items ("## Critical issues", "## 🔴 High priority").
_GROUP_WORDS = {"issue", "issues", "bug", "bugs", "defect", "defects", "item", "items", "priority",
                "severity", "open", "remaining", "finding", "findings", "blocker", "blockers", "task",
                "tasks", "ticket", "tickets", "problems", "level", "and", "the", "of", "sev", "known"}
_CLOSED_SECTION = re.compile(r"^[\W_]*(?:closed|resolved|done|fixed|completed|won'?t fix|wontfix)\b",
                             re.IGNORECASE)
#: Words a "closed" section heading may hold besides the closing word: "✅ Resolved issues (since
#: last report)" closes its items, "Fixed in the next release" does not.
_CLOSED_SECTION_WORDS = {"closed", "resolved", "done", "fixed", "completed", "won", "t", "wont", "fix",
                         "wontfix", "since", "last", "report", "this", "sprint", "week", "recently",
                         "already", "verified"}

#: Block nesting markdown-it follows; deeper content is dropped by the parser, which the coverage
#: check below turns into an error instead of a silent loss.
MAX_NESTING = 40


_LOCAL = threading.local()


def markdown_parser() -> MarkdownIt:
    """One parser per thread (criteria are checked concurrently); building one costs more than
    parsing a small fenced block with it."""
    md = getattr(_LOCAL, "md", None)
    if md is None:
        md = _LOCAL.md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable(["table", "strikethrough"])
    return md


@dataclass
class MdLine:
    """One line of an inline token, as plain text and as (text, struck) segments."""

    segments: list[tuple[str, bool]]

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.segments)


def inline_lines(node: SyntaxTreeNode | None) -> list[MdLine]:
    if node is None or node.token is None:
        return []
    lines: list[MdLine] = [MdLine([])]
    struck = 0
    for child in node.token.children or []:
        if child.type == "s_open":
            struck += 1
        elif child.type == "s_close":
            struck = max(0, struck - 1)
        elif child.type in ("softbreak", "hardbreak"):
            lines.append(MdLine([]))
        elif child.type in ("text", "code_inline", "html_inline", "image"):
            lines[-1].segments.append((child.content, struck > 0))
    return lines


def first_inline(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
    for child in node.children:
        if child.type == "inline":
            return child
        if child.type in ("paragraph", "th", "td", "heading"):
            return first_inline(child)
        return None
    return None


def line_of(node: SyntaxTreeNode) -> int:
    try:
        mapped = node.map
    except AttributeError:
        mapped = None
    return mapped[0] + 1 if mapped else 0


_LABEL_KEYS = frozenset({"labels", "label", "tags", "tag"})


@dataclass
class ItemMeta:
    status: str | None = None
    priority: str | None = None
    other: int = 0
    status_key: str | None = None
    #: ``Labels: [bug, P1]``: the most severe label is the priority when none is written.
    labels: list[str] = field(default_factory=list)

    def take(self, line: str) -> bool:
        found = meta_line(line)
        if found is None:
            return False
        key, value = found
        if key in STATUS_KEYS and value and (self.status is None or (
                key == self.status_key and closed_by_status(self.status))):
            # "Status: Closed" then "Status: Open": the open one is the news (fail closed); a
            # Resolution note after "Status: Resolved" is not a second status.
            self.status, self.status_key = value, key
        elif key == "reopened" and value and not value.lower().startswith("no"):
            self.status = f"Reopened: {value}"
        elif key in PRIORITY_KEYS and self.priority is None and value:
            self.priority = value
        else:
            if key in _LABEL_KEYS:
                self.labels.extend(p.strip(" \"'") for p in value.strip("[]{} ").split(","))
            self.other += 1
        return True



def wholly_bold(node: SyntaxTreeNode) -> bool:
    """Whether the paragraph's first line is all ``**bold**`` (a heading written as a paragraph)."""
    inline = first_inline(node)
    children = inline.token.children if inline is not None and inline.token is not None else None
    if not children:
        return False
    first_line = [t for t in itertools.takewhile(lambda t: t.type not in ("softbreak", "hardbreak"), children)
                  if not (t.type == "text" and not t.content.strip())]
    return bool(first_line) and first_line[0].type == "strong_open" and first_line[-1].type == "strong_close"


@dataclass
class TableColumns:
    severity: int | None
    status: int | None
    title: int | None
    id: int | None
    labels: int | None


NOTHING = re.compile(r"^[\W_]*(?:none|n/?a|nothing|no (?:open |known )?(?:issues?|items?|bugs?|findings?|"
                      r"defects?|blockers?))(?: (?:found|open|yet|so far|at the moment|right now|reported))?"
                      r"[\W_]*$", re.IGNORECASE)


def is_meta_list(block: SyntaxTreeNode) -> bool:
    """A list whose every item is a metadata line (``- **Status:** open``): the fields of the issue
    above it, not issues."""
    heads = [inline_lines(first_inline(item)) for item in block.children]
    # Every item a "Key: value" field, at least one of them a field an issue has (Status, Labels…):
    # "- **CVSS:** 9.8 / - **Status:** Open" describes the finding above it.
    return bool(heads) and all(lines and field_line(lines[0].text) for lines in heads) and \
        any(meta_line(lines[0].text) is not None for lines in heads)


def block_text(block: SyntaxTreeNode) -> str:
    return " ".join(line.text for line in inline_lines(first_inline(block))).strip()


def table_columns(header: list[str]) -> TableColumns:
    def find(names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in header:
                return header.index(name)
        # "Severity level", "Current status", "Issue title": a header that contains the word.
        for name in names:
            for index, words in enumerate(h.split() for h in header):
                if len(words) <= 3 and name in words:
                    return index
        return None

    return TableColumns(find(_SEVERITY_COLUMNS), find(_STATUS_COLUMNS), find(_TITLE_COLUMNS), find(_ID_COLUMNS),
                    find(("labels", "tags", "label")))


def norm_header(text: str) -> str:
    return " ".join(re.sub(r"[*_`:]", "", text).lower().split())


def cell_text(cell: SyntaxTreeNode) -> str:
    return " ".join(line.text for line in inline_lines(first_inline(cell)))


def drop_prefix(segments: list[tuple[str, bool]], count: int) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for text, struck in segments:
        if count >= len(text):
            count -= len(text)
            continue
        out.append((text[count:], struck))
        count = 0
    return out


def closed_state(segments: list[tuple[str, bool]], status: str | None, checked: bool | None,
            closed_section: str | None) -> tuple[bool, str | None]:
    """Whether an item is closed, and what says so. An explicit status decides when there is one:
    a row that says Open is open whatever mark its title carries."""
    if status:
        return (True, f"Status: {status}") if closed_by_status(status) else (False, None)
    if checked:
        return True, "[x]"
    if wholly_struck(segments):
        return True, "struck through"
    if checked is None and marked_closed("".join(t for t, _ in segments)):
        # An explicit "[ ]" says open whatever ✅ the text carries ("- [ ] ✅ passes locally, not in prod").
        return True, "✅"
    if closed_section and checked is None:
        # An explicit "[ ]" under "Resolved" says open; only an item with no state of its own
        # takes its section's.
        return True, f"under '{closed_section}'"
    return False, None


def is_closed_section(title: str) -> bool:
    if not _CLOSED_SECTION.match(title) or in_doubt(title):
        return False  # "Done (mostly)", "Resolved?" close nothing
    words = re.findall(r"[^\W_]+", re.sub(r"\([^)]*\)", " ", title).lower())
    return all(w in _CLOSED_SECTION_WORDS or w in _GROUP_WORDS or w.isdigit() for w in words)


def heading_residual(title: str, severities: SeverityMap) -> str:
    """A heading's words once severity names, ids and grouping words are gone: empty for
    "## P0 — Critical issues", "Fix login crash" for "### [P1] Fix login crash"."""
    text = severities.without_names(title)
    words = [w for w in re.findall(r"[^\W_]+", text.lower()) if w not in _GROUP_WORDS and not w.isdigit()]
    return " ".join(words)


#: Blocks that hold a line's own text; containers (lists, quotes) only hold these.
_LEAF_BLOCKS = frozenset({"paragraph_open", "heading_open", "fence", "code_block", "html_block", "hr",
                          "table_open"})
#: A line with nothing but container markers ("> > -", "1.") or a link reference definition
#: produces no leaf block, and loses nothing.
_MARKERS_ONLY = re.compile(r"^(?:\s*(?:>|[-*+]|\d{1,9}[.)]))*\s*$|^\s{0,3}\[[^\]]+\]:\s*\S")


def uncovered_line(text: str, tokens: list[Token]) -> int | None:
    """The first line with text that no leaf block holds: markdown-it drops what is nested deeper
    than ``maxNesting``, and a dropped item must not vanish silently."""
    lines = text.split("\n")
    covered = [False] * (len(lines) + 1)
    for token in tokens:
        if token.map and token.type in _LEAF_BLOCKS:
            for n in range(token.map[0], min(token.map[1], len(covered))):
                covered[n] = True
    for number, line in enumerate(lines):
        if not covered[number] and not _MARKERS_ONLY.match(line):
            return number + 1
    return None
