"""What an issue report's readers share: the item model, the severity words, and the rules that
say an item is closed.

Every reader (Markdown, JSON, CSV) decides "closed" with the same few rules, so a report means
the same whichever format a team exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Jira's priorities (Highest..Lowest, Blocker..Trivial) and Linear's Urgent are in here too.
DEFAULT_SEVERITY_ALIASES: dict[str, list[str]] = {
    "P0": ["P0", "Sev-0", "Sev0", "SEV-0", "Sev 0", "Critical", "Blocker", "Highest", "Urgent", "🔴 Critical"],
    "P1": ["P1", "Sev-1", "Sev1", "SEV-1", "Sev 1", "High", "Major", "🔴 High", "🟠 High"],
    "P2": ["P2", "Sev-2", "Sev2", "Sev 2", "Medium", "Moderate", "🟡 Medium"],
    "P3": ["P3", "Sev-3", "Sev3", "Sev 3", "Low", "Lowest", "Minor", "Trivial", "🟢 Low"],
}
#: The severity of an item whose priority is written but is no word of the severity map: it could
#: be a P0, so an open one keeps the gate from passing.
UNRECOGNISED = "?"
CLOSED_WORDS = ("closed", "resolved", "done", "fixed", "verified", "won't fix", "wont fix", "wontfix",
                "completed", "complete", "remediated", "merged", "duplicate", "cancelled", "canceled", "not a bug",
                "obsolete", "invalid")
CLOSED_MARKS = ("✅", "✔", "☑")
ISSUE_ID = re.compile(r"\b[A-Z][A-Z0-9]*(?:-\d+)+\b|#\d+")
#: Keys of metadata lines ("Status: open", "**Labels:** testing, e2e") that describe an item.
STATUS_KEYS = frozenset({"status", "state", "resolution", "current status"})
PRIORITY_KEYS = frozenset({"priority", "severity", "sev", "prio", "level", "criticality"})
OTHER_META_KEYS = frozenset({
    "labels", "label", "tags", "tag", "owner", "owners", "assignee", "assignees", "assigned to", "reporter",
    "reported by", "component", "components", "area", "module", "team", "created", "updated", "opened",
    "closed", "found", "found in", "date", "reported", "eta", "due", "milestone", "sprint", "estimate",
    "effort", "type", "category", "file", "files", "location", "link", "links", "ticket", "jira", "pr",
    "related", "affects", "affected", "version", "environment", "discovered", "source", "impact",
    "workaround", "fix", "fixed in", "blocked by", "depends on", "notes", "note", "id", "key", "reopened",
})
META_KEYS = STATUS_KEYS | PRIORITY_KEYS | OTHER_META_KEYS
#: The value is taken whole and stripped in Python: "(.*?)\s*$" is quadratic on a line of spaces.
_META_LINE = re.compile(r"^\s*(?:[-*+]\s+)?([A-Za-z][A-Za-z ]{0,20}?)\s*[:=]\s*(.*)$")
_MARKUP = re.compile(r"[*_`]+")
_FIELD_LINE = re.compile(r"^\s*[A-Za-z][\w()/ -]{0,30}?\s*:\s*\S")
_INLINE_STATUS = re.compile(r"\bstatus\s*[:=]\s*([^,;|)\n]+)", re.IGNORECASE)
_INLINE_PRIORITY = re.compile(r"\b(?:priority|severity)\s*[:=]\s*([^,;|)\n]+)", re.IGNORECASE)
_CODE_SEVERITY = re.compile(r"(?i)^(?:p\d|sev-?\d)$")
_TAGGED_CODE = re.compile(r"(?i)[\[(]\s*(p\d|sev[- ]?\d)\s*[\])]")
#: "P0", "Sev 1", and the severity prefix of audit ids such as "P0-1".
_CODE_ANYWHERE = re.compile(r"(?i)(?<![\w-])(?:p[0-4]|sev[- ]?[0-4])(?=-\d|(?![\w-]))")
_TAGGED_WORD = re.compile(r"[\[(]\s*([^\[\]()]{1,24}?)\s*[\])]")
#: Words that leave a closed status in doubt ("Fixed?", "Done (partially)", "Fixed in staging, not
#: prod", "Resolved pending deploy"): such an item is still open (fail closed).
_DOUBT = re.compile(r"\?|\b(?:not|partial|partially|mostly|pending|awaiting|except|but|unverified|until)\b")
_NOTE_START = re.compile(r"^[\s(\[—–:;,.-]*(?:" + "|".join(re.escape(w) for w in CLOSED_WORDS)
                         + r"|dup\b|moved|superseded|[✅✔☑])", re.IGNORECASE)


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
class ReportReading:
    """A report's items, and how many item-like entries were deliberately not read (and where),
    so the evidence can show that nothing vanished."""

    items: list[ReportedIssue] = field(default_factory=list)
    #: Where -> how many ("in code", "in comments", "pull requests", "summary tables").
    ignored: dict[str, int] = field(default_factory=dict)

    def ignore(self, where: str, count: int = 1) -> None:
        if count:
            self.ignored[where] = self.ignored.get(where, 0) + count


@dataclass
class SeverityMap:
    aliases: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_ALIASES))

    def __post_init__(self) -> None:
        pairs = [(alias, level) for level, names in self.aliases.items() for alias in names]
        pairs.sort(key=lambda p: len(p[0]), reverse=True)
        self._patterns = [(re.compile(r"(?<![\w-])" + re.escape(a) + r"(?![\w-])", re.IGNORECASE), lvl)
                          for a, lvl in pairs]
        self._order = {level: n for n, level in enumerate(self.aliases)}

    def classify(self, text: str) -> str | None:
        """The severity named earliest in ``text`` (longest alias wins at the same place)."""
        best = self._match(text)
        return best[2] if best else None

    def _match(self, text: str) -> tuple[int, int, str, str] | None:
        best: tuple[int, int, str, str] | None = None
        for pattern, level in self._patterns:
            match = pattern.search(text)
            if match and (best is None or (match.start(), -len(match[0])) < (best[0], best[1])):
                best = (match.start(), -len(match[0]), level, match[0])
        return best

    def marked(self, text: str) -> str | None:
        """The severity an item's own text states as a label, not a word of its title.

        ``[P1] flaky test``, ``**High**: SQL injection``, ``🔥 P0 crash`` and ``PREP-3 (P2) ...`` state one;
        ``Low disk alert`` or ``High CPU on db`` do not: a title word must not move an item out of the
        severity its heading gives it (a P0 section's "Low disk" item would vanish from the count).
        """
        plain = _MARKUP.sub("", text).strip()
        tagged = _TAGGED_CODE.search(plain)
        if tagged and self.classify(tagged[1]):
            # "Fix the retry storm (P1)": a bracketed code is a label wherever it stands.
            return self.classify(tagged[1])
        for word in _TAGGED_WORD.finditer(plain):
            # "Checkout broken (critical)", "[🔴 High]": a bracket holding nothing but a severity.
            inner = word[1].strip()
            found = self._match(inner)
            if found is not None and len(found[3]) >= len(inner.strip(" :-")) - 2:
                return found[2]
        found = self._match(plain[:60])
        if found is None:
            return None
        start, length, level, word = found[0], -found[1], found[2], found[3]
        if _CODE_SEVERITY.match(word):
            return level if len(plain[:start].split()) <= 2 else None
        before, after = plain[:start].rstrip(), plain[start + length:].lstrip()
        labelled = before.endswith(("[", "(")) or after[:1] in ("]", ")", ":", "—", "–", "-", "|", "")
        leading = len(before.split()) <= 1  # at most an emoji or an id before it
        return level if labelled and leading else None

    def without_names(self, text: str) -> str:
        """``text`` with every severity word blanked out."""
        for pattern, _ in self._patterns:
            text = pattern.sub(" ", text)
        return text

    def codes_in(self, text: str) -> list[str]:
        """The P0..P3 / Sev-N codes written anywhere in ``text`` (not plain words like "high")."""
        return [m[0] for m in _CODE_ANYWHERE.finditer(text)]

    def most_severe(self, texts: list[str]) -> str | None:
        """The most severe level any of ``texts`` names (labels: ``[bug, P2, P0]`` -> P0)."""
        return self.worst([lvl for lvl in (self.classify(t) for t in texts) if lvl is not None])

    def worst(self, levels: list[str | None]) -> str | None:
        """The most severe of ``levels`` (the map's order: first is worst)."""
        known = [lvl for lvl in levels if lvl is not None]
        return min(known, key=lambda lvl: self._order.get(lvl, len(self._order))) if known else None


def closed_by_status(text: str) -> bool:
    """A status value that means closed: ``Closed``, ``✅ Done``, ``🟢 Fixed (v1.2)``; not ``Open``,
    ``Reopened``, ``Unresolved`` or ``Not fixed``."""
    lowered = re.sub(r"^[\W_]+", "", _MARKUP.sub("", text).strip().lower())
    if "reopen" in lowered or "re-open" in lowered:
        return False  # "Closed (reopened 06-10)": the last word on it is open
    if in_doubt(lowered):
        return False  # "Fixed?", "Done (partially)", "Fixed in staging, not prod": not closed yet
    if any(mark in text for mark in CLOSED_MARKS):
        return True
    return any(lowered.startswith(w) and not lowered[len(w):len(w) + 1].isalnum() for w in CLOSED_WORDS)


def in_doubt(text: str) -> bool:
    """Whether a closed status or section title is hedged ("Fixed?", "Done (mostly)")."""
    return _DOUBT.search(text.lower().replace("not a bug", "")) is not None


def field_line(line: str) -> bool:
    """Whether a line reads ``Key: value`` with a short key (``**CVSS:** 9.8``), known key or not."""
    return _FIELD_LINE.match(_MARKUP.sub("", line)) is not None


def meta_line(line: str) -> tuple[str, str] | None:
    """``("status", "Resolved")`` for a metadata line such as ``**Status:** Resolved``, else None."""
    match = _META_LINE.match(_MARKUP.sub("", line))
    if match is None:
        return None
    key = " ".join(match[1].lower().split())
    return (key, match[2].strip()) if key in META_KEYS else None


def inline_status(text: str) -> str | None:
    match = _INLINE_STATUS.search(_MARKUP.sub("", text))
    return match[1].strip() if match else None


def inline_priority(text: str) -> str | None:
    match = _INLINE_PRIORITY.search(_MARKUP.sub("", text))
    return match[1].strip() if match else None


def marked_closed(text: str) -> bool:
    """✅ (or ✔/☑) where an item's state is written: among its first two or last three words,
    not in the middle of a sentence that mentions another, fixed, issue."""
    words = text.split()
    return any(mark in word for word in words[:2] + words[-3:] for mark in CLOSED_MARKS)


def wholly_struck(segments: list[tuple[str, bool]]) -> bool:
    """Whether a line of ``(text, struck)`` segments is struck through as a whole.

    Text before the strike must be blank; after it, only a closing note may follow (``fixed in
    0.9.1``, ``(moved to the read replica)``), and that note may not name another issue:
    ``~~dup of PREP-1~~ PREP-10 crash still happens`` is open.
    """
    struck = "".join(t for t, s in segments if s)
    if not struck.strip():
        return False
    first = next(n for n, (t, s) in enumerate(segments) if s and t.strip())
    last = max(n for n, (t, s) in enumerate(segments) if s and t.strip())
    before = "".join(t for t, _ in segments[:first])
    middle = "".join(t for t, s in segments[first:last + 1] if not s)
    after = "".join(t for t, _ in segments[last + 1:]).strip()
    if before.strip(" \t*_") or middle.strip(" \t*_,;/"):
        return False
    if not after.strip(" \t*_.,;:—–-"):
        return True
    if set(ISSUE_ID.findall(after)) - set(ISSUE_ID.findall(struck)):
        return False
    return bool(after.startswith("(") and after.rstrip(".").endswith(")")) or bool(_NOTE_START.match(after))


def first_id(text: str) -> str | None:
    match = ISSUE_ID.search(text)
    return match[0] if match else None


def clean_title(text: str) -> str:
    text = re.sub(r"~~(.*?)~~", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()
