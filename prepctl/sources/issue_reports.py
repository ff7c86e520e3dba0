"""Defect reports kept in the repository (e.g. REMAINING_ISSUES_REPORT.md), read as text.

Markdown reports are read three ways, as real ones mix them: table rows, list items, and
sub-headings, each under a heading that names a severity (or with a severity column). JSON
reports are a list of objects with a priority field. What counts as which severity is the
user's ``SeverityMap``; what counts as closed is ✅, ``[x]``, ~~struck through~~ or a
"Status: Closed/Resolved" line or cell.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

#: Jira's priorities (Highest..Lowest, Blocker..Trivial) and Linear's Urgent are in here too.
DEFAULT_SEVERITY_ALIASES: dict[str, list[str]] = {
    "P0": ["P0", "Sev-0", "Sev0", "SEV-0", "Critical", "Blocker", "Highest", "Urgent", "🔴 Critical"],
    "P1": ["P1", "Sev-1", "Sev1", "SEV-1", "High", "Major", "🔴 High", "🟠 High"],
    "P2": ["P2", "Sev-2", "Sev2", "Medium", "Moderate", "🟡 Medium"],
    "P3": ["P3", "Sev-3", "Sev3", "Low", "Lowest", "Minor", "Trivial", "🟢 Low"],
}
#: The severity of an item whose priority is written but is no word of the severity map: it could
#: be a P0, so an open one keeps the gate from passing.
UNRECOGNISED = "?"
CLOSED_WORDS = ("closed", "resolved", "done", "fixed", "verified", "won't fix", "wontfix")
_ID = re.compile(r"\b[A-Z][A-Z0-9]*(?:-\d+)+\b|#\d+")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_CHECKBOX = re.compile(r"^\[( |x|X)\]\s*")
_STATUS_LINE = re.compile(r"^\s*[*_]*status[*_]*\s*[:=]\s*[*_]*(.+?)[*_]*\s*$", re.IGNORECASE)
_INLINE_STATUS = re.compile(r"status\s*[:=]\s*([\w' -]+)", re.IGNORECASE)


@dataclass(frozen=True)
class ReportedIssue:
    severity: str
    title: str
    closed: bool
    path: str
    line: int
    id: str | None = None
    how_closed: str | None = None
    #: The priority as written, for an item whose severity is UNRECOGNISED.
    priority_text: str | None = None


@dataclass
class SeverityMap:
    aliases: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_ALIASES))

    def __post_init__(self) -> None:
        pairs = [(alias, level) for level, names in self.aliases.items() for alias in names]
        pairs.sort(key=lambda p: len(p[0]), reverse=True)
        self._patterns = [(re.compile(r"(?<![\w-])" + re.escape(a) + r"(?![\w-])", re.IGNORECASE), lvl)
                          for a, lvl in pairs]

    def classify(self, text: str) -> str | None:
        """The severity named earliest in ``text`` (longest alias wins at the same place)."""
        best: tuple[int, int, str] | None = None
        for pattern, level in self._patterns:
            match = pattern.search(text)
            if match and (best is None or (match.start(), -len(match[0])) < (best[0], best[1])):
                best = (match.start(), -len(match[0]), level)
        return best[2] if best else None


def closed_by_status(text: str) -> bool:
    lowered = text.strip().lower()
    return "✅" in text or "✔" in text or any(lowered.startswith(w) for w in CLOSED_WORDS)


def parse_markdown(text: str, path: str, severities: SeverityMap) -> list[ReportedIssue]:
    issues: list[ReportedIssue] = []
    lines = text.splitlines()
    heading_levels: list[tuple[int, str | None]] = []  # (depth, severity named at that depth)
    table_header: list[str] | None = None
    pending: dict | None = None  # a sub-heading item whose Status line may follow

    def current_severity() -> str | None:
        for _, sev in reversed(heading_levels):
            if sev:
                return sev
        return None

    def flush_pending() -> None:
        nonlocal pending
        if pending is not None:
            issues.append(ReportedIssue(**pending))
            pending = None

    in_code = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _HEADING.match(line)
        if heading:
            flush_pending()
            table_header = None
            depth, title = len(heading[1]), heading[2]
            heading_levels = [h for h in heading_levels if h[0] < depth]
            named = severities.classify(title)
            parent = current_severity()
            # A sub-heading under a severity heading is an item of that severity.
            if parent is not None and (named is None or _ID.search(title)):
                pending = {"severity": parent, "title": _clean(title), "closed": _struck(title),
                           "path": path, "line": number, "id": _first_id(title),
                           "how_closed": "struck through" if _struck(title) else None}
                heading_levels.append((depth, None))
                continue
            heading_levels.append((depth, named))
            continue
        if pending is not None:
            status = _STATUS_LINE.match(line)
            if status:
                if closed_by_status(status[1]):
                    pending["closed"], pending["how_closed"] = True, f"Status: {status[1].strip()}"
                continue
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if table_header is None:
                table_header = [c.lower() for c in cells]
                continue
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            item = _table_item(table_header, cells, current_severity(), severities, path, number)
            if item:
                issues.append(item)
            continue
        table_header = None
        match = _LIST_ITEM.match(line)
        if match and current_severity() is not None and pending is None:
            issues.append(_list_item(match[1], current_severity(), severities, path, number))
    flush_pending()
    return issues


def _table_item(header: list[str], cells: list[str], heading_sev: str | None, severities: SeverityMap,
                path: str, number: int) -> ReportedIssue | None:
    row = dict(zip(header, cells, strict=False))
    sev_cell = next((row[k] for k in header if k in ("severity", "sev", "priority", "prio", "level")), None)
    severity = severities.classify(sev_cell) if sev_cell else heading_sev
    if severity is None and sev_cell:
        severity = UNRECOGNISED
    if severity is None:
        return None
    status_cell = next((row[k] for k in header if k in ("status", "state")), "")
    title = next((row[k] for k in header if k in ("title", "summary", "issue", "description")), " ".join(cells))
    ident = next((row[k] for k in header if k in ("id", "key", "ticket", "incident")), None)
    ident = ident or _first_id(" ".join(cells))
    struck = _struck(title) or (ident is not None and _struck(ident))
    closed = closed_by_status(status_cell) or struck or "✅" in " ".join(cells)
    how = f"Status: {status_cell}" if closed_by_status(status_cell) else ("struck through" if struck else None)
    return ReportedIssue(severity, _clean(title), closed, path, number, _first_id(ident or ""), how,
                         sev_cell if severity == UNRECOGNISED else None)


def _list_item(text: str, heading_sev: str, severities: SeverityMap, path: str, number: int) -> ReportedIssue:
    closed, how = False, None
    box = _CHECKBOX.match(text)
    if box:
        text = text[box.end():]
        if box[1] in "xX":
            closed, how = True, "[x]"
    if not closed and _struck(text):
        closed, how = True, "struck through"
    if not closed and ("✅" in text or "✔" in text):
        closed, how = True, "✅"
    inline = _INLINE_STATUS.search(text)
    if not closed and inline and closed_by_status(inline[1]):
        closed, how = True, f"Status: {inline[1].strip()}"
    own = severities.classify(text.split(" ", 2)[0] + " " + " ".join(text.split(" ", 2)[1:2]))
    return ReportedIssue(own or heading_sev, _clean(text), closed, path, number, _first_id(text), how)


def _struck(text: str) -> bool:
    return text.lstrip("*_ ").startswith("~~")


def _clean(text: str) -> str:
    text = re.sub(r"~~(.*?)~~", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def _first_id(text: str) -> str | None:
    match = _ID.search(text)
    return match[0] if match else None


def parse_json(text: str, path: str, severities: SeverityMap, priority_field: str | None = None,
               status_field: str | None = None) -> list[ReportedIssue]:
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("issues", data.get("items"))
    if not isinstance(data, list):
        raise ValueError("expected a list of objects (or {\"issues\": [...]})")
    found = []
    for index, obj in enumerate(data):
        if not isinstance(obj, dict):
            raise ValueError(f"item {index} is not an object")
        prio_key = priority_field or next((k for k in ("priority", "severity", "sev") if k in obj), None)
        if prio_key is None or prio_key not in obj:
            raise ValueError(f"item {index} has no priority field ({priority_field or 'priority'})")
        written = obj[prio_key]
        severity = severities.classify(str(written)) if written not in (None, "") else None
        severity = severity or UNRECOGNISED
        status_key = status_field or next((k for k in ("status", "state") if k in obj), None)
        status_text = str(obj.get(status_key, "")) if status_key else ""
        closed = bool(obj.get("closed")) or closed_by_status(status_text)
        title = str(obj.get("title") or obj.get("summary") or obj.get("id") or f"item {index}")
        ident = obj.get("id") or obj.get("key")
        how = f"{status_key}: {obj.get(status_key)}" if closed and status_key else None
        line = _json_line(text, index)
        found.append(ReportedIssue(severity, title, closed, path, line, str(ident) if ident else None, how,
                                   str(written) if severity == UNRECOGNISED else None))
    return found


def _json_line(text: str, index: int) -> int:
    """Best-effort line of the index-th top-level object, for evidence."""
    depth, count = 0, -1
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if ch == "{" and depth == 2:
                count += 1
                if count == index:
                    return line
        elif ch in "]}":
            depth -= 1
    return 1
