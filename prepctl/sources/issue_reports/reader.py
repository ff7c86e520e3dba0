"""Defect reports kept in the repository (e.g. REMAINING_ISSUES_REPORT.md).

Markdown reports are read through markdown-it-py's token stream (CommonMark + GFM tables and
strikethrough), so fences, indented code and HTML comments are never items, setext headings and
pipe-less tables are, and every item keeps the ``file:line`` of its token. An item is one of:

- a table row, under a heading that names a severity or with a Severity/Priority column;
- a list item under such a heading (its nested lists and continuation lines are its details);
- a sub-heading that is an issue: it has metadata lines (``Status: open``, ``Priority: P1``,
  ``Labels: testing``) or prose under a severity heading. Its metadata and details are part of it:
  issues are counted, not lines.

Closed is ``[x]``, a wholly struck-through item, ✅, a closed status (a Status column wins over
any mark in the row), or a section headed "Resolved"/"Closed". JSON and CSV exports are read in
``prepctl.sources.issue_reports.exports``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

from markdown_it.tree import SyntaxTreeNode

from prepctl.sources.issue_reports.exports import parse_csv, parse_json, read_csv, read_json
from prepctl.sources.issue_reports.items import (
    CLOSED_MARKS,
    CLOSED_WORDS,
    DEFAULT_SEVERITY_ALIASES,
    UNRECOGNISED,
    ReportedIssue,
    ReportReading,
    SeverityMap,
    clean_title,
    closed_by_status,
    first_id,
    inline_priority,
    inline_status,
    marked_closed,
    meta_line,
    wholly_struck,
)
from prepctl.sources.issue_reports.markdown import (
    COUNT_COLUMNS,
    NOTHING,
    ItemMeta,
    MdLine,
    TableColumns,
    block_text,
    cell_text,
    closed_state,
    drop_prefix,
    first_inline,
    heading_residual,
    inline_lines,
    is_closed_section,
    is_meta_list,
    line_of,
    markdown_parser,
    norm_header,
    table_columns,
    uncovered_line,
    wholly_bold,
)

__all__ = ["CLOSED_WORDS", "DEFAULT_SEVERITY_ALIASES", "UNRECOGNISED", "ReportReading", "ReportedIssue",
           "SeverityMap", "closed_by_status", "parse_csv", "parse_json", "parse_markdown", "read_csv",
           "read_json", "read_markdown"]

_NUMBERED = re.compile(r"^[\W_]*(?:(?:issue|bug|finding|item|defect)\s*)?#?\d+\s*[.:)\-—–]", re.IGNORECASE)
_DELIMITERS = "[*_~`<!"
MAX_DELIMITERS = 200_000
MAX_MARKDOWN_CHARS = 2 * 1024 * 1024
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_CHECKBOX = re.compile(r"^\s*\[( |x|X)\]\s*")
@dataclass
class _Context:
    severity: str | None
    closed_section: str | None = None


@dataclass
class _Walker:
    path: str
    severities: SeverityMap
    reading: ReportReading = field(default_factory=ReportReading)
    #: (depth, severity named, closed-section title) of the headings above the current place.
    headings: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    #: Depth of the issue heading whose body we are in, if any.
    issue_depth: int | None = None
    issue_meta: ItemMeta | None = None
    issue_fields: dict | None = None
    nested: int = 0
    #: The paragraph item a following metadata paragraph belongs to.
    last_paragraph: _ParagraphItem | None = None
    #: A wholly bold paragraph that becomes an item if metadata lines follow it.
    bold_candidate: tuple[SyntaxTreeNode, list[MdLine], _Context] | None = None

    def context(self) -> _Context:
        severity = next((sev for _, sev, _ in reversed(self.headings) if sev), None)
        closed = next((c for _, _, c in reversed(self.headings) if c), None)
        return _Context(severity, closed)

    # -- blocks -------------------------------------------------------------------------------
    def flow(self, nodes: list[SyntaxTreeNode]) -> None:
        for index, node in enumerate(nodes):
            if node.type != "paragraph":
                self.last_paragraph = self.bold_candidate = None
            if node.type == "heading":
                body = []
                subheadings = False
                for later in itertools.islice(nodes, index + 1, None):
                    if later.type == "heading":
                        subheadings = int(later.tag[1:]) > int(node.tag[1:])
                        break
                    body.append(later)
                self.heading(node, body, subheadings)
            elif self.issue_depth is not None:
                self.issue_body(node)
            elif node.type in ("bullet_list", "ordered_list"):
                self.list_items(node, self.context())
            elif node.type == "table":
                self.table(node, self.context())
            elif node.type == "paragraph":
                self.paragraph(node, self.context())
            elif node.type == "blockquote":
                self.flow(list(node.children))
            elif node.type in ("fence", "code_block", "html_block"):
                self.ignored_block(node)

    def ignored_block(self, node: SyntaxTreeNode, in_issue: bool = False) -> None:
        """Items written inside code or a comment are examples, not issues; count them so the
        evidence shows they were seen and left out. Other raw HTML (``<details>``) shows its text
        to a reader, so items written in it are read."""
        content = node.content
        if node.type == "html_block" and not content.lstrip().startswith("<!--"):
            if not in_issue:
                self.html_block(node)
            return
        if node.type == "html_block":
            content = re.sub(r"<!--|-->|<[^>\n]*>", "\n", content)
        self.reading.ignore("in comments" if node.type == "html_block" else "in code", self.count_items(content))

    def count_items(self, content: str) -> int:
        if self.nested >= 2 or not content.strip():
            return 0
        sub = _Walker(self.path, self.severities, headings=list(self.headings), nested=self.nested + 1)
        sub.flow(list(SyntaxTreeNode(markdown_parser().parse(content)).children))
        sub.finish_issue()
        return len(sub.reading.items) + sum(sub.reading.ignored.values())

    def html_block(self, node: SyntaxTreeNode) -> None:
        comments = _HTML_COMMENT.findall(node.content)
        self.reading.ignore("in comments", sum(self.count_items(re.sub(r"<!--|-->", "\n", c)) for c in comments))
        # Keep the line structure: tags vanish in place, comments become as many empty lines.
        visible = _HTML_COMMENT.sub(lambda m: "\n" * m[0].count("\n"), node.content)
        visible = re.sub(r"<[^>\n]*>", "", visible)
        if self.nested >= 2 or not visible.strip():
            return
        sub = _Walker(self.path, self.severities, headings=list(self.headings), nested=self.nested + 1)
        sub.flow(list(SyntaxTreeNode(markdown_parser().parse(visible)).children))
        sub.finish_issue()
        offset = line_of(node) - 1
        self.reading.items.extend(replace(i, line=i.line + offset) for i in sub.reading.items)
        for where, count in sub.reading.ignored.items():
            self.reading.ignore(where, count)

    def heading(self, node: SyntaxTreeNode, body: list[SyntaxTreeNode], subheadings: bool = False) -> None:
        self.finish_issue(at_depth=int(node.tag[1:]))
        depth = int(node.tag[1:])
        if self.issue_depth is not None:
            # A sub-heading inside an issue ("#### Steps to reproduce") is part of the issue.
            self.issue_body_meta(body)
            return
        self.headings = [h for h in self.headings if h[0] < depth]
        lines = inline_lines(first_inline(node))
        title = " ".join(line.text for line in lines).strip()
        segments = [s for line in lines for s in line.segments]
        context = self.context()
        meta = ItemMeta()
        for block in body:
            self.collect_meta(block, meta)
        has_items = any(b.type == "table" or (b.type in ("bullet_list", "ordered_list") and not is_meta_list(b))
                        for b in body)
        residual = heading_residual(title, self.severities)
        own = self.severities.marked(title)
        # A label (`Labels: [bug, P1]`) can raise the heading's severity, like a code in the title.
        severity = self.priority_of(meta) or own or self.severities.worst(
            [context.severity, self.severities.most_severe(meta.labels),
             *map(self.severities.classify, self.severities.codes_in(title))])
        numbered = first_id(title) is not None or _NUMBERED.match(title) is not None
        if severity is None and meta.status is not None and numbered and not subheadings:
            # "### BUG-7: Login loop" with a Status line but no priority anywhere: an issue whose
            # severity is unknown, which an open one must not let pass.
            severity = UNRECOGNISED
            meta.priority = meta.priority or "(no priority written)"
        # "### 3. Flaky test" with a Labels line and a list of repro steps is one issue; a plain
        # "### Backend" over a list groups that list's items.
        decisive_meta = meta.status is not None or meta.priority is not None or \
            (meta.other > 0 and severity is not None and (not has_items or numbered))
        prose = any(b.type == "paragraph" and not NOTHING.match(block_text(b)) for b in body)
        # A heading with sub-headings groups them ("## 🔴 High" over "### H-1 ..."), and so does one
        # whose only prose says there is nothing ("## 🔥 P0 — Drop everything" / "_None found._").
        is_issue = bool(residual) and severity is not None and (decisive_meta or (
            not has_items and not subheadings and (prose or first_id(title) is not None)))
        if not is_issue:
            named = self.severities.classify(title)
            closed_section = title if named is None and is_closed_section(title) else None
            self.headings.append((depth, named, closed_section))
            return
        self.issue_depth = depth
        self.issue_meta = meta
        self.issue_fields = {"severity": severity, "title": clean_title(title), "line": line_of(node),
                             "id": first_id(title), "segments": segments, "closed_section": context.closed_section}

    def finish_issue(self, at_depth: int | None = None) -> None:
        if self.issue_depth is None or self.issue_fields is None or self.issue_meta is None:
            return
        if at_depth is not None and at_depth > self.issue_depth:
            return
        fields, meta = self.issue_fields, self.issue_meta
        closed, how = closed_state(fields["segments"], meta.status, None, fields["closed_section"])
        severity = fields["severity"]
        self.reading.items.append(ReportedIssue(
            severity, fields["title"], closed, self.path, fields["line"], fields["id"], how,
            meta.priority if severity == UNRECOGNISED else None))
        self.issue_depth = self.issue_meta = self.issue_fields = None

    def priority_of(self, meta: ItemMeta) -> str | None:
        if meta.priority is None:
            return None
        return self.severities.classify(meta.priority) or UNRECOGNISED

    def collect_meta(self, block: SyntaxTreeNode, meta: ItemMeta) -> None:
        """Metadata lines in an issue's body: paragraph lines and single-line list items."""
        if block.type == "paragraph":
            for line in inline_lines(first_inline(block)):
                meta.take(line.text)
        elif block.type in ("bullet_list", "ordered_list") and is_meta_list(block):
            for item in block.children:
                for line in inline_lines(first_inline(item)):
                    meta.take(line.text)

    def issue_body(self, node: SyntaxTreeNode) -> None:
        if node.type in ("fence", "code_block", "html_block"):
            self.ignored_block(node, in_issue=True)
        elif node.type == "table" and _issue_table(node):
            # A table with its own Priority and Title/ID columns lists issues, wherever it stands.
            self.table(node, self.context())

    def issue_body_meta(self, body: list[SyntaxTreeNode]) -> None:
        if self.issue_meta is not None:
            for block in body:
                self.collect_meta(block, self.issue_meta)

    # -- paragraphs ---------------------------------------------------------------------------
    def paragraph(self, node: SyntaxTreeNode, context: _Context) -> None:
        """A paragraph is an item when it is written like one: its first line starts with an issue
        id (``PREP-5 Crash on boot``), or is wholly bold (``**Flaky checkout test**``) with metadata
        lines under it. A paragraph of metadata lines alone belongs to the item just above it."""
        lines = inline_lines(first_inline(node))
        if not lines or not lines[0].text.strip():
            return
        meta = ItemMeta()
        rest_meta = [meta.take(line.text) for line in lines[1:]]
        head = lines[0].text.strip()
        if meta_line(head) is not None:
            if not all(meta_line(line.text) for line in lines if line.text.strip()):
                return
            candidate, self.bold_candidate = self.bold_candidate, None
            if self.last_paragraph is None and candidate is not None:
                # "**Search index blocks writes**", a blank line, then its Status/Owner lines.
                meta = ItemMeta()
                for line in lines:
                    meta.take(line.text)
                self.paragraph_item(_ListEntry(candidate[0], candidate[1], meta), candidate[2])
            elif self.last_paragraph is not None:
                for line in lines:
                    self.last_paragraph.entry.meta.take(line.text)
                self.refresh_paragraph_item()
            return
        bold = wholly_bold(node)
        self.bold_candidate = None
        if not (_ID_LED.match(head) or (bold and any(rest_meta))):
            self.last_paragraph = None
            if bold:
                self.bold_candidate = (node, lines, context)
            return
        self.paragraph_item(_ListEntry(node, lines, meta), context)

    def paragraph_item(self, entry: _ListEntry, context: _Context) -> None:
        self.last_paragraph = None
        self.add_list_item(entry, context)
        if self.reading.items and self.reading.items[-1].line == line_of(entry.node):
            self.last_paragraph = _ParagraphItem(entry, context, len(self.reading.items) - 1)

    def refresh_paragraph_item(self) -> None:
        last = self.last_paragraph
        if last is None:
            return
        kept = self.reading.items[last.index + 1:]
        del self.reading.items[last.index:]
        self.add_list_item(last.entry, last.context)
        self.reading.items.extend(kept)

    # -- lists --------------------------------------------------------------------------------
    def list_items(self, node: SyntaxTreeNode, context: _Context) -> None:
        previous: _ListEntry | None = None
        for item in node.children:
            lines = inline_lines(first_inline(item))
            if not lines or not lines[0].text.strip():
                continue
            head = lines[0]
            if NOTHING.match(head.text.strip()) and len(item.children) == 1:
                continue  # "- None" under a severity heading: nothing to count
            if meta_line(head.text) is not None and previous is not None and len(lines) == 1:
                # "- Status: fixed" right after an item is that item's metadata, not an issue.
                previous.meta.take(head.text)
                continue
            entry = _ListEntry(item, lines, ItemMeta())
            for line in lines[1:]:
                entry.meta.take(line.text)
            subs = [c for c in item.children if c.type in ("bullet_list", "ordered_list")]
            text = head.text.strip()
            box = _CHECKBOX.match(text)
            is_group = box is None and first_id(text) is None and text.rstrip("*_ ").endswith(":") and bool(subs)
            if is_group:
                named = self.severities.classify(text)
                self.list_items_of(subs, _Context(named or context.severity, context.closed_section))
                continue
            for sub in subs:
                for child in sub.children:
                    for line in inline_lines(first_inline(child)):
                        entry.meta.take(line.text)
            for block in item.children[1:]:
                if block.type == "paragraph":
                    for line in inline_lines(first_inline(block)):
                        entry.meta.take(line.text)
                elif block.type in ("fence", "code_block", "html_block"):
                    self.ignored_block(block)
            self.add_list_item(entry, context)
            previous = entry

    def list_items_of(self, lists: list[SyntaxTreeNode], context: _Context) -> None:
        for sub in lists:
            self.list_items(sub, context)

    def add_list_item(self, entry: _ListEntry, context: _Context) -> None:
        head = entry.lines[0]
        text = head.text.strip()
        segments = list(head.segments)
        checked: bool | None = None
        box = _CHECKBOX.match(text)
        if box:
            checked = box[1] in "xX"
            text = text[box.end():]
            segments = drop_prefix(segments, len(head.text) - len(head.text.lstrip()) + box.end())
        status = entry.meta.status or inline_status(text)
        priority = entry.meta.priority or inline_priority(text)
        severity = (self.severities.classify(priority) or UNRECOGNISED) if priority else None
        # A code written anywhere in the item ("crash on checkout — P0") can raise the severity
        # its heading gives, never lower it; an explicit label ("[P2]") is the item's own word.
        severity = severity or self.severities.marked(text) or \
            self.severities.worst([context.severity, *map(self.severities.classify, self.severities.codes_in(text))])
        if severity is None:
            if checked is not None or first_id(text):
                # An item-like entry no severity reaches: counted, so it cannot vanish unseen.
                self.reading.ignore("without a severity")
            return
        closed, how = closed_state(segments, status, checked, context.closed_section)
        # "~~dup of PREP-1~~ PREP-10 crash": an open item is named by what is not struck out.
        ident = first_id(text) if closed else first_id("".join(t for t, s in segments if not s)) or first_id(text)
        self.reading.items.append(ReportedIssue(
            severity, clean_title(text), closed, self.path, line_of(entry.node), ident, how,
            priority if severity == UNRECOGNISED else None))

    # -- tables -------------------------------------------------------------------------------
    def table(self, node: SyntaxTreeNode, context: _Context) -> None:
        rows = [tr for part in node.children for tr in part.children if tr.type == "tr"]
        if not rows:
            return
        header = [norm_header(cell_text(c)) for c in rows[0].children]
        roles = table_columns(header)
        body = rows[1:]
        if roles.title is None and roles.id is None and roles.status is None and (
                any(h in COUNT_COLUMNS for h in header) or _numbers_only(body, roles.severity)):
            # "| Severity | Open | Closed |": a summary of counts, not the issues themselves.
            self.reading.ignore("summary tables", len(body))
            return
        for row in body:
            item = self.table_row(row, roles, context)
            if item is not None:
                self.reading.items.append(item)
            elif roles.id is not None or roles.status is not None:
                self.reading.ignore("without a severity")

    def table_row(self, row: SyntaxTreeNode, roles: TableColumns, context: _Context) -> ReportedIssue | None:
        cells = [inline_lines(first_inline(c)) for c in row.children]
        texts = [" ".join(line.text for line in c).strip() for c in cells]

        def cell(index: int | None) -> str:
            return texts[index] if index is not None and index < len(texts) else ""

        def live(index: int | None) -> str:
            # "~~P2~~ P1", "~~Closed~~ Reopened": struck-through text is what no longer holds.
            if index is None or index >= len(cells):
                return ""
            return " ".join("".join(t for t, struck in line.segments if not struck) for line in cells[index]).strip()

        sev_text = cell(roles.severity)
        sev_live = live(roles.severity)
        severity = self.severities.classify(sev_live) if sev_live else None
        if severity is None and sev_text:
            severity = UNRECOGNISED  # also a priority wholly struck through: what it is now is unknown
        if severity is None and roles.labels is not None:
            severity = self.severities.most_severe([p.strip() for p in cell(roles.labels).split(",")])
        severity = severity or context.severity
        if severity is None or not any(texts):
            return None
        title_index = roles.title if roles.title is not None else roles.id
        title = cell(title_index) or " ".join(t for t in texts if t)
        ident = first_id(cell(roles.id)) or first_id(" ".join(texts))
        status = live(roles.status) or None
        marked = title_index is not None and title_index < len(cells) and any(
            wholly_struck(line.segments) for line in cells[title_index][:1])
        marked = marked or (roles.id is not None and roles.id < len(cells) and
                            any(wholly_struck(line.segments) for line in cells[roles.id][:1]))
        segments = [("~~", True)] if marked else [(title, False)]
        if not marked and (any(marked_closed(t) for t in (title, cell(roles.id))) or
                           any(t.strip() in CLOSED_MARKS for t in texts)):
            segments = [(title + " ✅", False)]
        closed, how = closed_state(segments, status, None, context.closed_section)
        return ReportedIssue(severity, clean_title(title), closed, self.path, line_of(row), ident, how,
                             sev_text if severity == UNRECOGNISED else None)


def _issue_table(node: SyntaxTreeNode) -> bool:
    rows = [tr for part in node.children for tr in part.children if tr.type == "tr"]
    if not rows:
        return False
    roles = table_columns([norm_header(cell_text(c)) for c in rows[0].children])
    return roles.severity is not None and (roles.title is not None or roles.id is not None)


def _numbers_only(rows: list[SyntaxTreeNode], severity_column: int | None) -> bool:
    """Whether every cell but the severity holds a number: "| High | 3 | 2 |" counts issues."""
    cells = [cell_text(c).strip() for row in rows for n, c in enumerate(row.children) if n != severity_column]
    return bool(cells) and all(re.fullmatch(r"[\d.,%/ -]*", c) for c in cells)


@dataclass
class _ListEntry:
    node: SyntaxTreeNode
    lines: list[MdLine]
    meta: ItemMeta


@dataclass
class _ParagraphItem:
    entry: _ListEntry
    context: _Context
    index: int


_ID_LED = re.compile(r"^[\W_]*(?:[A-Z][A-Z0-9]*(?:-\d+)+\b|#\d+\b)")


def read_markdown(text: str, path: str, severities: SeverityMap) -> ReportReading:
    """Every item of a Markdown report, and what was deliberately left out (code, comments)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_MARKDOWN_CHARS:
        # markdown-it reads about 100 kB a second: a bigger report would hold the gate for minutes.
        raise ValueError(f"{len(text)} characters, more than the {MAX_MARKDOWN_CHARS} a Markdown report is "
                         "read up to; split it, or export the tracker as JSON or CSV")
    delimiters = sum(text.count(c) for c in _DELIMITERS)
    if delimiters > MAX_DELIMITERS:
        # markdown-it spends up to ~0.2 ms on each link/emphasis opener; a report made of them
        # would hold the gate for minutes. Real reports have a few thousand.
        raise ValueError(f"{delimiters} Markdown delimiters ({' '.join(_DELIMITERS)}), more than the "
                         f"{MAX_DELIMITERS} the reader parses in bounded time; split the report")
    tokens = markdown_parser().parse(text)
    missing = uncovered_line(text, tokens)
    if missing is not None:
        raise ValueError(f"line {missing}: nested too deeply (lists or quotes) for the Markdown parser to "
                         "read, so its items would be lost; flatten the report there")
    walker = _Walker(path, severities)
    walker.flow(list(SyntaxTreeNode(tokens).children))
    walker.finish_issue()
    walker.reading.items = sorted((replace(i, title=i.title or (i.id or "(untitled)")) for i in walker.reading.items),
                                  key=lambda i: i.line)
    return walker.reading


def parse_markdown(text: str, path: str, severities: SeverityMap) -> list[ReportedIssue]:
    return read_markdown(text, path, severities).items
