"""Issue-tracker exports kept beside a plan: JSON (a list of objects; GitHub's ``gh issue list
--json`` and REST shapes; Jira's REST search ``{"issues": [{"key", "fields": {...}}]}``) and Jira's
CSV export. Each item's evidence line is the line where its object (or CSV record) starts.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from typing import Any

from prepctl.sources.issue_reports.items import (
    UNRECOGNISED,
    ReportedIssue,
    ReportReading,
    SeverityMap,
    closed_by_status,
)

_LIST_KEYS = ("issues", "items")
_PRIORITY_KEYS = ("priority", "severity", "sev")
_STATUS_KEYS = ("status", "state")


class _Lines:
    """Character offset -> 1-based line number."""

    def __init__(self, text: str):
        self._starts = [i for i, ch in enumerate(text) if ch == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._starts, offset) + 1


def _skip_ws(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def element_offsets(text: str) -> list[int]:
    """Where each object of the report's item list starts: the top-level array, or the array under
    a top-level ``issues``/``items`` key. The text is already known to be valid JSON."""
    decoder = json.JSONDecoder()
    index = _skip_ws(text, 0)
    if text.startswith("{", index):
        index = _skip_ws(text, index + 1)
        while index < len(text) and text[index] != "}":
            key, index = json.decoder.scanstring(text, index + 1)
            index = _skip_ws(text, _skip_ws(text, index) + 1)  # past ':'
            if key in _LIST_KEYS and text.startswith("[", index):
                return _array_offsets(text, index, decoder)
            _, index = decoder.raw_decode(text, index)
            index = _skip_ws(text, index)
            if text.startswith(",", index):
                index = _skip_ws(text, index + 1)
        return []
    return _array_offsets(text, index, decoder) if text.startswith("[", index) else []


def _array_offsets(text: str, index: int, decoder: json.JSONDecoder) -> list[int]:
    offsets = []
    index = _skip_ws(text, index + 1)
    while index < len(text) and text[index] != "]":
        offsets.append(index)
        _, index = decoder.raw_decode(text, index)
        index = _skip_ws(text, index)
        if text.startswith(",", index):
            index = _skip_ws(text, index + 1)
    return offsets


def _dig(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _has(obj: dict, dotted: str) -> bool:
    head, _, rest = dotted.partition(".")
    if head not in obj:
        return False
    return not rest or (isinstance(obj[head], dict) and _has(obj[head], rest))


def _named(value: Any) -> str:
    """Jira writes ``{"name": "Highest"}`` where others write ``"Highest"``."""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("value") or value.get("key") or "")
    return "" if value is None else str(value)


def _labels(obj: dict) -> list[str] | None:
    labels = obj.get("labels", _dig(obj, "fields.labels"))
    if not isinstance(labels, list):
        return None
    return [_named(label) for label in labels]


def label_texts(labels: list[str]) -> list[str]:
    """Each label as written and with its separators as spaces: ``priority-high`` and ``P1-high``
    name a severity only once the dash is gone (a word followed by '-' is not that word)."""
    return [text for label in labels for text in (label, re.sub(r"[-_/:]+", " ", label))]


def _status(obj: dict, status_field: str | None) -> tuple[str | None, str]:
    if status_field:
        return status_field, _named(_dig(obj, status_field))
    for key in _STATUS_KEYS:
        if key in obj:
            return key, _named(obj[key])
    status = _dig(obj, "fields.status")
    if isinstance(status, dict):
        category = _dig(status, "statusCategory.key") or _dig(status, "statusCategory.name")
        # Jira's status category is what "done" means across every workflow's own status names.
        if category:
            return "fields.status.statusCategory", "Done" if str(category).lower() == "done" else str(category)
        return "fields.status", _named(status)
    return None, ""


def _priority(obj: dict, index: int, priority_field: str | None,
              severities: SeverityMap) -> tuple[str, str | None]:
    """(severity, the priority as written when it is UNRECOGNISED)."""
    keys = [priority_field] if priority_field else [*_PRIORITY_KEYS, "fields.priority"]
    key = next((k for k in keys if _has(obj, k)), None)
    if key is not None:
        written = _named(_dig(obj, key))
        severity = severities.classify(written) if written else None
        return (severity, None) if severity else (UNRECOGNISED, written or "None")
    labels = _labels(obj)
    if labels is None or priority_field:
        raise ValueError(f"item {index} has no priority field ({priority_field or 'priority'}) and no labels")
    severity = severities.most_severe(label_texts(labels))
    return (severity, None) if severity else (UNRECOGNISED, "labels: " + (", ".join(labels) or "none"))


def read_json(text: str, path: str, severities: SeverityMap, priority_field: str | None = None,
              status_field: str | None = None) -> ReportReading:
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict):
        data = next((data[k] for k in _LIST_KEYS if k in data), None)
    if not isinstance(data, list):
        raise ValueError("expected a list of objects (or {\"issues\": [...]})")
    lines, offsets = _Lines(text), element_offsets(text)
    reading = ReportReading()
    for index, obj in enumerate(data):
        line = lines.line(offsets[index]) if index < len(offsets) else 1
        if not isinstance(obj, dict):
            raise ValueError(f"line {line}: item {index} is not an object")
        if obj.get("pull_request") or obj.get("isPullRequest"):
            reading.ignore("pull requests")
            continue
        severity, written = _priority(obj, index, priority_field, severities)
        status_key, status_text = _status(obj, status_field)
        closed = obj.get("closed") is True or closed_by_status(status_text)
        title = _named(obj.get("title") or obj.get("summary") or _dig(obj, "fields.summary")) or f"item {index}"
        number = obj.get("number", obj.get("iid"))  # GitLab numbers issues per project as iid
        ident = obj.get("key") or (f"#{number}" if isinstance(number, int) else None) or obj.get("id")
        how = (f"{status_key}: {status_text}" if status_key else "closed: true") if closed else None
        reading.items.append(ReportedIssue(severity, title, closed, path, line, str(ident) if ident else None,
                                           how, written))
    return reading


def parse_json(text: str, path: str, severities: SeverityMap, priority_field: str | None = None,
               status_field: str | None = None) -> list[ReportedIssue]:
    return read_json(text, path, severities, priority_field, status_field).items


def read_csv(text: str, path: str, severities: SeverityMap, priority_field: str | None = None,
             status_field: str | None = None) -> ReportReading:
    """A Jira (or similar) CSV export: a header row, then one record per issue. Jira repeats a
    column for multi-valued fields (``Labels,Labels``); every copy is read."""
    text = text.removeprefix("\ufeff")
    # Jira puts whole descriptions in a field; the csv module's default cap is 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    first = text.split("\n", 1)[0]
    # Excel in many locales writes ';' (and some tools tabs); the header row says which.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Jira names custom fields "Custom field (Severity)".
        header = [re.sub(r"^custom field \((.*)\)$", r"\1", " ".join(h.lower().split())) for h in next(reader)]
    except StopIteration:
        raise ValueError("empty CSV: expected a header row") from None
    except csv.Error as exc:
        raise ValueError(f"line 1: {exc}") from None

    def columns(*names: str) -> list[int]:
        return [n for n, h in enumerate(header) if h in names]

    prio_cols = columns(priority_field.lower()) if priority_field else columns(*_PRIORITY_KEYS)
    status_cols = (columns(status_field.lower()) if status_field else
                   columns("status category") or columns(*_STATUS_KEYS) or columns("resolution"))
    label_cols = columns("labels", "label", "tags")
    if not prio_cols and not label_cols:
        raise ValueError(f"no {priority_field or 'Priority'} (or Labels) column in the header")
    title_cols = columns("summary", "title")
    id_cols = columns("issue key", "key", "id", "issue id", "number")
    reading = ReportReading()
    start = reader.line_num + 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue

            def cell(cols: list[int], record: list[str] = record) -> str:
                return next((record[c].strip() for c in cols if c < len(record) and record[c].strip()), "")

            written = cell(prio_cols)
            if written:
                severity = severities.classify(written) or UNRECOGNISED
            else:
                labels = [record[c] for c in label_cols if c < len(record) and record[c].strip()]
                severity = severities.most_severe(label_texts(labels)) or UNRECOGNISED
                written = "labels: " + (", ".join(labels) or "none") if prio_cols == [] else "(empty priority)"
            # A repeated Status column ("Closed", then "Open") closes the record only if all agree.
            statuses = [record[c].strip() for c in status_cols if c < len(record) and record[c].strip()]
            status = next((s for s in statuses if not closed_by_status(s)), statuses[0] if statuses else "")
            closed = bool(statuses) and all(closed_by_status(s) for s in statuses)
            reading.items.append(ReportedIssue(
                severity, cell(title_cols) or f"record at line {line}", closed, path, line, cell(id_cols) or None,
                f"{header[status_cols[0]]}: {status}" if closed and status_cols else None,
                written if severity == UNRECOGNISED else None))
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None
    return reading


def parse_csv(text: str, path: str, severities: SeverityMap, priority_field: str | None = None,
              status_field: str | None = None) -> list[ReportedIssue]:
    return read_csv(text, path, severities, priority_field, status_field).items
